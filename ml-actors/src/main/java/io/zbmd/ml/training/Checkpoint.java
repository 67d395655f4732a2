package io.zbmd.ml.training;

import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.optim.OptimizerState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a training run needs to resume: the weights by PyTorch parameter name, the optimizer's
 * state, where the data loader stands (its shuffle is drawn from the seed and the epoch) and where
 * the model's own random generators stand (dropout masks), taken after {@code step} optimizer
 * steps and {@code epoch} completed epochs.
 *
 * <pre>{@code
 * sink.latest().ifPresent(c -> model.tell(new ModelActor.ImportWeights(c.weights(), replies)));
 * }</pre>
 *
 * @param step optimizer steps taken
 * @param epoch epochs completed
 * @param weights every parameter, host copies
 * @param optimizer the optimizer's state
 * @param position the loader's cursor: the first batch the resumed run trains on
 * @param rngState the model's generators ({@link io.zbmd.ml.nn.Module#rngState()}); empty when
 *     it draws nothing
 */
public record Checkpoint(
    long step,
    int epoch,
    Map<String, HostTensor> weights,
    OptimizerState optimizer,
    LoaderPosition position,
    Map<String, Long> rngState) {
  public Checkpoint {
    weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    rngState = Collections.unmodifiableMap(new LinkedHashMap<>(rngState));
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(position, "position");
    if (step < 0 || epoch < 0) {
      throw new IllegalArgumentException("checkpoint at step " + step + ", epoch " + epoch);
    }
  }

  /** A checkpoint of a model without random generators of its own. */
  public Checkpoint(
      long step,
      int epoch,
      Map<String, HostTensor> weights,
      OptimizerState optimizer,
      LoaderPosition position) {
    this(step, epoch, weights, optimizer, position, Map.of());
  }
}
