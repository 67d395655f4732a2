package io.zbmd.ml.training;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link CheckpointSink} that keeps only the latest checkpoint, in memory: enough to survive the
 * loss of a device, not of the process. Safe to read from another thread (a test's).
 *
 * <pre>{@code
 * InMemoryCheckpointSink sink = new InMemoryCheckpointSink();
 * ... // a TrainingSupervisor saves into it every epoch
 * sink.saved();              // how many checkpoints were recorded
 * sink.latest().get().step();
 * }</pre>
 */
public final class InMemoryCheckpointSink implements CheckpointSink {
  private final AtomicReference<Checkpoint> latest = new AtomicReference<>();
  private final AtomicInteger saved = new AtomicInteger();

  @Override
  public CompletionStage<Void> save(Checkpoint checkpoint, Map<String, Double> metrics) {
    latest.set(checkpoint);
    saved.incrementAndGet();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Optional<Checkpoint> latest() {
    return Optional.ofNullable(latest.get());
  }

  /** The number of checkpoints recorded so far. */
  public int saved() {
    return saved.get();
  }
}
