package io.zbmd.ml.optim;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.Map;

/**
 * AdamW with exactly {@code torch.optim.AdamW}'s rule: decoupled weight decay {@code p *= 1 - lr *
 * wd}, then Adam's update without weight decay. Composed of an {@code affine} op and the backend's
 * {@code adamUpdate}; state as {@link Adam}'s.
 *
 * <pre>{@code
 * AdamW adamw = new AdamW(alloc, model.parameters(), AdamW.defaults().withLr(3e-4));
 * }</pre>
 */
public final class AdamW extends BufferedOptimizer {
  private final Adam.Options options;

  /** PyTorch's AdamW defaults: Adam's, with a weight decay of 0.01. */
  public static Adam.Options defaults() {
    return Adam.Options.defaults().withWeightDecay(0.01);
  }

  public AdamW(Allocator alloc, Map<String, Parameter> parameters, Adam.Options options) {
    super("AdamW", alloc, parameters, Adam.BUFFERS);
    this.options = options;
  }

  public Adam.Options options() {
    return options;
  }

  @Override
  void update(Ops ops, Parameter p, Tensor[] state, long step) {
    if (options.weightDecay() != 0) {
      // 1 - lr * wd in double, as Python computes it, then one float multiply.
      ops.affine(
          p.value().buffer(),
          p.value().buffer(),
          p.numel(),
          f(1 - options.lr() * options.weightDecay()),
          0f);
    }
    ops.adamUpdate(
        p.value().buffer(),
        p.grad().buffer(),
        state[0].buffer(),
        state[1].buffer(),
        p.numel(),
        options.lr(),
        options.beta1(),
        options.beta2(),
        f(options.eps()),
        0f,
        Math.toIntExact(step));
  }
}
