package io.zbmd.ml.optim;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adam with exactly {@code torch.optim.Adam}'s rule (L2 weight decay added to the gradient, bias
 * corrections counted from step 1), through the backend's fused {@code adamUpdate}. State per
 * parameter: {@code exp_avg} and {@code exp_avg_sq}, as PyTorch names them.
 *
 * <pre>{@code
 * Adam adam = new Adam(alloc, model.parameters(), Adam.Options.defaults().withLr(1e-3));
 * }</pre>
 */
public final class Adam extends BufferedOptimizer {
  /**
   * The hyperparameters, with {@code torch.optim.Adam}'s meaning, defaults and checks.
   *
   * @param lr learning rate, {@code >= 0} (default 1e-3)
   * @param beta1 decay of the first moment, in {@code [0, 1)} (default 0.9)
   * @param beta2 decay of the second moment, in {@code [0, 1)} (default 0.999)
   * @param eps added to the denominator, {@code >= 0} (default 1e-8)
   * @param weightDecay L2 penalty for Adam, decoupled decay for {@link AdamW}, {@code >= 0}
   */
  public record Options(double lr, double beta1, double beta2, double eps, double weightDecay) {
    public Options {
      if (!(lr >= 0)) {
        throw new IllegalArgumentException("Invalid learning rate: " + lr);
      }
      if (!(eps >= 0)) {
        throw new IllegalArgumentException("Invalid epsilon value: " + eps);
      }
      if (!(beta1 >= 0 && beta1 < 1)) {
        throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
      }
      if (!(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
      }
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
      }
    }

    /** PyTorch's Adam defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static Options defaults() {
      return new Options(1e-3, 0.9, 0.999, 1e-8, 0);
    }

    public Options withLr(double lr) {
      return new Options(lr, beta1, beta2, eps, weightDecay);
    }

    public Options withBetas(double beta1, double beta2) {
      return new Options(lr, beta1, beta2, eps, weightDecay);
    }

    public Options withEps(double eps) {
      return new Options(lr, beta1, beta2, eps, weightDecay);
    }

    public Options withWeightDecay(double weightDecay) {
      return new Options(lr, beta1, beta2, eps, weightDecay);
    }
  }

  static final List<String> BUFFERS = List.of("exp_avg", "exp_avg_sq");

  private final Options options;

  public Adam(Allocator alloc, Map<String, Parameter> parameters, Options options) {
    super("Adam", alloc, parameters, BUFFERS);
    this.options = options;
  }

  public Options options() {
    return options;
  }

  @Override
  void update(Ops ops, Parameter p, Tensor[] state, long step) {
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
        f(options.weightDecay()),
        Math.toIntExact(step));
  }
}
