package io.zbmd.ml.optim;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.Parameter;
import java.util.Map;

/**
 * Updates parameters from their gradients, as {@code torch.optim} optimizers do: {@link #step}
 * after the backward passes of a (possibly accumulated) batch, {@link #zeroGrad} before the next.
 * The updates run through the backend SPI, enqueued on the {@link Ops} of a work, so that a whole
 * training step can be one submitted work.
 *
 * <pre>{@code
 * Optimizer opt = new Adam(alloc, model.parameters(), Adam.Options.defaults());
 * stream.submit(ops -> {
 *   opt.zeroGrad(ops);
 *   ... forward, loss, backward ...
 *   opt.step(ops);
 *   return null;
 * });
 * // a checkpoint: stream.submit(ops -> opt.state(ops)) ... later opt.loadState(ops, saved)
 * }</pre>
 *
 * <p>The optimizer owns its state (momentum buffers, Adam's moments) and releases it in {@link
 * #close()}; the parameters belong to their module. Not thread-safe: one actor, one work at a time.
 */
public interface Optimizer extends AutoCloseable {
  /** The parameters it updates, by name ({@code fc1.weight}), in order. */
  Map<String, Parameter> parameters();

  /** Applies one update to every parameter from its gradient. */
  void step(Ops ops);

  /** Sets every parameter gradient to zero. */
  default void zeroGrad(Ops ops) {
    for (Parameter p : parameters().values()) {
      p.zeroGrad(ops);
    }
  }

  /** Number of {@link #step}s taken (restored by {@link #loadState}). */
  long steps();

  /**
   * A host copy of the state: the step count and, per parameter, its buffers under PyTorch's names
   * ({@code fc1.weight.momentum_buffer}, {@code fc1.weight.exp_avg}, {@code
   * fc1.weight.exp_avg_sq}). On an asynchronous device the arrays are filled when the work that
   * called this completes: return the state from the work.
   */
  OptimizerState state(Ops ops);

  /**
   * Replaces the state with {@code state} (from {@link #state} of an optimizer of the same kind
   * over parameters of the same names and shapes): the next steps are those the exporter would have
   * taken, bit for bit on the same backend.
   *
   * @throws IllegalArgumentException naming the problem: another optimizer kind, a missing or
   *     unexpected buffer, a buffer of the wrong size
   */
  void loadState(Ops ops, OptimizerState state);

  /** Releases the state buffers. Idempotent. */
  @Override
  void close();
}
