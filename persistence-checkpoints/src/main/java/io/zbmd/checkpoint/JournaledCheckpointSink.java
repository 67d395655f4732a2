package io.zbmd.checkpoint;

import io.zbmd.ml.training.Checkpoint;
import io.zbmd.ml.training.CheckpointSink;
import io.zbmd.runtime.metrics.Histogram;
import io.zbmd.runtime.metrics.MetricUnit;
import io.zbmd.runtime.metrics.Tags;
import io.zbmd.runtime.metrics.ZbmdMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CheckpointSink} of a journaled run: each checkpoint is written by a {@link
 * CheckpointStore} on the writer's executor (never the device's thread), then recorded in the
 * run's {@link TrainingJournal}; its save completes, and it becomes {@link #latest()}, only once
 * the journal has persisted that record. So an acknowledged checkpoint always names a complete,
 * fsynced file, and a crash at any moment leaves the journal pointing at the previous one.
 *
 * <p>Retention: after a checkpoint is recorded, the oldest ones beyond {@code keepLast} are first
 * marked deleted in the journal, then their files removed (a crash in between leaves an orphan
 * file, never a journal entry without its file). Saves run one at a time, in order.
 *
 * <pre>{@code
 * JournaledCheckpointSink sink = new JournaledCheckpointSink(
 *     system, journal, new FileCheckpointStore(dir), "run-1", 3, state.checkpoints(), resumeFrom,
 *     writerExecutor);
 * ctx.spawn(TrainingSupervisor.create(spec, train, test, options, sink, results), "training");
 * }</pre>
 */
public final class JournaledCheckpointSink implements CheckpointSink {
  private static final Logger log = LoggerFactory.getLogger(JournaledCheckpointSink.class);

  private final ActorSystem<?> system;
  private final ActorRef<TrainingJournal.Command> journal;
  private final CheckpointStore store;
  private final String runId;
  private final int keepLast;
  private final Executor writer;
  private final Duration askTimeout;
  // zbmd_checkpoint_save_duration_seconds and zbmd_checkpoint_size_bytes on Prometheus.
  private final Histogram saveTime;
  private final Histogram savedBytes;
  private final Deque<CheckpointEntry> retained;
  private volatile Checkpoint latest;
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  /**
   * @param system the actor system asks go through
   * @param journal the run's journal
   * @param store where the files go
   * @param runId the run
   * @param keepLast checkpoints kept on disk, at least 1
   * @param recorded the checkpoints the journal already holds, oldest first (for retention)
   * @param resumeFrom the checkpoint the run resumes from; {@code null} for a new run
   * @param writer where files are written: a dispatcher for blocking work
   * @param askTimeout how long to wait for the journal to persist a record
   */
  public JournaledCheckpointSink(
      ActorSystem<?> system,
      ActorRef<TrainingJournal.Command> journal,
      CheckpointStore store,
      String runId,
      int keepLast,
      List<CheckpointEntry> recorded,
      Checkpoint resumeFrom,
      Executor writer,
      Duration askTimeout) {
    if (keepLast < 1) {
      throw new IllegalArgumentException("keep-last must be at least 1, got " + keepLast);
    }
    this.system = Objects.requireNonNull(system, "system");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.store = Objects.requireNonNull(store, "store");
    this.runId = Objects.requireNonNull(runId, "runId");
    this.keepLast = keepLast;
    this.retained = new ArrayDeque<>(recorded);
    this.latest = resumeFrom;
    this.writer = Objects.requireNonNull(writer, "writer");
    this.askTimeout = Objects.requireNonNull(askTimeout, "askTimeout");
    ZbmdMetrics metrics = ZbmdMetrics.get(system);
    this.saveTime =
        metrics.histogram("zbmd_checkpoint_save_duration", MetricUnit.NANOSECONDS, Tags.empty());
    this.savedBytes = metrics.histogram("zbmd_checkpoint_size", MetricUnit.BYTES, Tags.empty());
  }

  /** Also records {@code metrics} (e.g. the loss) with the checkpoint in the journal. */
  @Override
  public synchronized CompletionStage<Void> save(Checkpoint c, Map<String, Double> metrics) {
    Map<String, Double> figures = Map.copyOf(metrics);
    // One at a time and in order: a later checkpoint never overtakes an earlier one. The save
    // completes once recorded; pruning old files follows before the next save starts.
    long[] startedAt = new long[1];
    CompletableFuture<Void> recorded =
        tail.exceptionally(previous -> null)
            .thenApplyAsync(ignored -> {
              startedAt[0] = System.nanoTime();
              return write(c);
            }, writer)
            .thenCompose(stored -> record(c, stored, figures).thenRun(() -> {
              // Write, fsync and journal: what an acknowledged checkpoint costs.
              saveTime.record(System.nanoTime() - startedAt[0]);
              savedBytes.record(stored.bytes());
            }))
            .toCompletableFuture();
    tail =
        recorded
            .thenComposeAsync(ignored -> retain(), writer)
            .whenComplete(
                (ok, failure) -> {
                  if (failure != null && recorded.isDone() && !recorded.isCompletedExceptionally()) {
                    log.warn("could not prune old checkpoints of run {}: {}", runId, failure.toString());
                  }
                });
    return recorded;
  }

  @Override
  public Optional<Checkpoint> latest() {
    return Optional.ofNullable(latest);
  }

  /** Completes when every save made so far has completed (normally or not). */
  public synchronized CompletionStage<Void> flushed() {
    return tail.exceptionally(e -> null);
  }

  private StoredCheckpoint write(Checkpoint c) {
    try {
      return store.write(runId, c);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not write the checkpoint of step " + c.step() + " of run " + runId, e);
    }
  }

  private CompletionStage<Void> record(
      Checkpoint c, StoredCheckpoint s, Map<String, Double> metrics) {
    CompletionStage<TrainingJournal.RecordReply> reply =
        AskPattern.ask(
            journal,
            replyTo ->
                new TrainingJournal.RecordCheckpoint(
                    s.step(), s.epoch(), s.uri(), s.sha256(), s.bytes(), metrics, replyTo),
            askTimeout,
            system.scheduler());
    return reply.thenAccept(
        r -> {
          if (r instanceof TrainingJournal.CheckpointRejected rejected) {
            throw new IllegalStateException(
                "the journal of run " + runId + " refused the checkpoint of step " + s.step()
                    + ": " + rejected.reason());
          }
          synchronized (retained) {
            retained.removeIf(e -> e.uri().equals(s.uri()));
            retained.addLast(
                new CheckpointEntry(
                    s.step(), s.epoch(), s.uri(), s.sha256(), s.bytes(), metrics, null));
          }
          latest = c;
        });
  }

  /** Forgets, then deletes, the oldest checkpoints beyond keep-last. */
  private CompletionStage<Void> retain() {
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    while (true) {
      CheckpointEntry oldest;
      synchronized (retained) {
        if (retained.size() <= keepLast) {
          break;
        }
        oldest = retained.removeFirst();
      }
      chain =
          chain
              .thenCompose(
                  ignored ->
                      AskPattern.<TrainingJournal.Command, Done>ask(
                          journal,
                          replyTo -> new TrainingJournal.RecordCheckpointDeleted(oldest.uri(), replyTo),
                          askTimeout,
                          system.scheduler()))
              .thenAcceptAsync(ignored -> delete(oldest), writer);
    }
    return chain;
  }

  private void delete(CheckpointEntry e) {
    try {
      store.delete(new StoredCheckpoint(e.step(), e.epoch(), e.uri(), e.sha256(), e.bytes()));
    } catch (IOException ex) {
      // The journal no longer lists it: an orphan file costs disk, never correctness.
      log.warn("could not delete old checkpoint {} of run {}: {}", e.uri(), runId, ex.toString());
    }
  }
}
