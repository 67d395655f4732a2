package io.zbmd.ml.training;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where a {@link TrainingSupervisor} keeps its checkpoints, where it finds the last one after
 * losing a device, and where a run resumes from: if {@link #latest()} holds a checkpoint when the
 * run starts, the run continues from it. {@link InMemoryCheckpointSink} serves tests and
 * single-process runs; the persistence module's sink writes files and journals them.
 *
 * <p>{@link #save} must return quickly: the supervisor goes on training while the returned stage
 * is pending (write the checkpoint on another thread, never on the device's). A checkpoint counts,
 * for {@link #latest()} and for the supervisor's {@link TrainingSupervisor.CheckpointRecorded},
 * only once its stage completes normally, i.e. once it is durable; a run completes only after all
 * its saves completed, and a save that fails fails the run. The supervisor calls both methods from
 * its own actor, one call at a time; {@link #latest()} may be read from other threads too.
 *
 * <pre>{@code
 * CheckpointSink sink = new InMemoryCheckpointSink();
 * sink.save(new Checkpoint(step, epoch, weights, optimizerState, loaderPosition)).toCompletableFuture().join();
 * Optional<Checkpoint> last = sink.latest();
 * }</pre>
 */
public interface CheckpointSink {
  /**
   * Starts recording {@code checkpoint}; completes when it is durable, from then on the latest
   * saved one is what {@link #latest()} returns. Saves complete in the order they were made.
   *
   * @param metrics the run's figures at this point ({@code loss}: the last step's; {@code
   *     test_loss}, {@code test_accuracy}: the last evaluation's, when there was one), for sinks
   *     that record them next to the checkpoint
   */
  CompletionStage<Void> save(Checkpoint checkpoint, Map<String, Double> metrics);

  /** {@link #save(Checkpoint, Map)} without figures. */
  default CompletionStage<Void> save(Checkpoint checkpoint) {
    return save(checkpoint, Map.of());
  }

  /** The last checkpoint whose save completed, or empty if none did. */
  Optional<Checkpoint> latest();
}
