package io.zbmd.ml.training;

import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.optim.OptimizerState;
import java.util.Map;
import java.util.Optional;

/**
 * Where a {@link TrainingSupervisor} keeps its checkpoints, and where it finds the last one after
 * losing a device. {@link InMemoryCheckpointSink} serves tests and single-process runs; a sink that
 * writes to disk comes with the persistence module. The supervisor calls both methods from its own
 * actor, one call at a time, so an implementation need not be thread-safe for it; keep {@link
 * #save} quick (or hand the work to another thread), since the supervisor waits for it.
 *
 * <pre>{@code
 * CheckpointSink sink = new InMemoryCheckpointSink();
 * sink.save(step, epoch, weights, optimizerState, loaderPosition);
 * Optional<Checkpoint> last = sink.latest();
 * }</pre>
 */
public interface CheckpointSink {
  /** Records a checkpoint; the latest saved one is what {@link #latest()} returns. */
  void save(
      long step,
      int epoch,
      Map<String, HostTensor> weights,
      OptimizerState optimizer,
      LoaderPosition position);

  /** The last checkpoint saved, or empty if none was. */
  Optional<Checkpoint> latest();
}
