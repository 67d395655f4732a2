package io.zbmd.ml.actor;

import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.optim.OptimizerState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link ModelActor} needs to continue exactly where it stood: its weights by PyTorch
 * name, its optimizer's state (null for an inference-only model), where its random generators
 * stand (dropout masks) and how many optimizer steps it took. One {@code ExportState} gives it and
 * one {@code ImportState} restores it, so a checkpoint costs one round trip each way.
 *
 * <pre>{@code
 * model.tell(new ModelActor.ExportState(replies));        // -> StateExported(state)
 * other.tell(new ModelActor.ImportState(state, acks));    // -> Imported("state", n)
 * }</pre>
 *
 * @param weights every parameter by PyTorch name
 * @param optimizer the optimizer's buffers and step, or null when the model does not train
 * @param rngState the model's generators (empty when it draws nothing)
 * @param steps optimizer steps the actor took
 */
public record ModelState(
    Map<String, HostTensor> weights,
    OptimizerState optimizer,
    Map<String, Long> rngState,
    long steps) {
  public ModelState {
    weights = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(weights)));
    rngState = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(rngState)));
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }
  }
}
