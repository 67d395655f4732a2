package io.zbmd.ml.optim;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with exactly {@code torch.optim.SGD}'s rule: {@code g += wd * p};
 * with momentum, {@code buf = g} on the first step and {@code buf = momentum * buf + (1 -
 * dampening) * g} after, then {@code g = g + momentum * buf} with Nesterov or {@code g = buf}
 * without; {@code p -= lr * g}.
 *
 * <p>Without Nesterov and dampening this is the backend's fused {@code sgdUpdate}; Nesterov and
 * dampening are composed from {@code affine} and {@code binary} ops over two scratch vectors.
 *
 * <pre>{@code
 * SGD sgd = new SGD(alloc, model.parameters(),
 *     SGD.Options.of(0.1).withMomentum(0.9).withNesterov(true).withWeightDecay(5e-4));
 * }</pre>
 */
public final class SGD extends BufferedOptimizer {
  /**
   * The hyperparameters, with {@code torch.optim.SGD}'s meaning and checks.
   *
   * @param lr learning rate, {@code >= 0}
   * @param momentum momentum factor, {@code >= 0} (0: no momentum buffer)
   * @param dampening dampening of the momentum
   * @param weightDecay L2 penalty, {@code >= 0}
   * @param nesterov Nesterov momentum (needs a momentum and no dampening)
   */
  public record Options(
      double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
    public Options {
      if (!(lr >= 0)) {
        throw new IllegalArgumentException("Invalid learning rate: " + lr);
      }
      if (!(momentum >= 0)) {
        throw new IllegalArgumentException("Invalid momentum value: " + momentum);
      }
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
      }
      if (Double.isNaN(dampening)) {
        throw new IllegalArgumentException("Invalid dampening value: " + dampening);
      }
      if (nesterov && (momentum <= 0 || dampening != 0)) {
        throw new IllegalArgumentException(
            "Nesterov momentum requires a momentum and zero dampening");
      }
    }

    /** Plain SGD at learning rate {@code lr}. */
    public static Options of(double lr) {
      return new Options(lr, 0, 0, 0, false);
    }

    public Options withMomentum(double momentum) {
      return new Options(lr, momentum, dampening, weightDecay, nesterov);
    }

    public Options withDampening(double dampening) {
      return new Options(lr, momentum, dampening, weightDecay, nesterov);
    }

    public Options withWeightDecay(double weightDecay) {
      return new Options(lr, momentum, dampening, weightDecay, nesterov);
    }

    public Options withNesterov(boolean nesterov) {
      return new Options(lr, momentum, dampening, weightDecay, nesterov);
    }
  }

  private final Options options;
  private final boolean fused;
  private Tensor direction; // scratch for the composed rule, as long as the largest parameter
  private Tensor scaled;

  public SGD(Allocator alloc, Map<String, Parameter> parameters, Options options) {
    super(
        "SGD", alloc, parameters, options.momentum() != 0 ? List.of("momentum_buffer") : List.of());
    this.options = options;
    this.fused = !options.nesterov() && options.dampening() == 0;
  }

  public Options options() {
    return options;
  }

  @Override
  void update(Ops ops, Parameter p, Tensor[] state, long step) {
    DeviceBuffer param = p.value().buffer();
    DeviceBuffer grad = p.grad().buffer();
    DeviceBuffer buf = state == null ? null : state[0].buffer();
    long n = p.numel();
    if (fused || buf == null) {
      ops.sgdUpdate(
          param, grad, buf, n, f(options.lr()), f(options.momentum()), f(options.weightDecay()));
      return;
    }
    ensureScratch();
    int cols = Math.toIntExact(n);
    DeviceBuffer d = direction.buffer();
    DeviceBuffer t = scaled.buffer();
    // d = g + wd * p (grad itself is only read, as in the fused op)
    if (options.weightDecay() != 0) {
      ops.affine(param, d, n, f(options.weightDecay()), 0f);
      ops.binary(BinaryOp.ADD, grad, d, d, 1, cols, Broadcast.NONE);
    } else {
      ops.copy(grad, 0, d, 0, n);
    }
    // buf = d on the first step (torch clones the gradient), else m * buf + (1 - dampening) * d
    if (step == 1) {
      ops.copy(d, 0, buf, 0, n);
    } else {
      ops.affine(buf, buf, n, f(options.momentum()), 0f);
      if (options.dampening() != 0) {
        ops.affine(d, t, n, f(1 - options.dampening()), 0f);
        ops.binary(BinaryOp.ADD, buf, t, buf, 1, cols, Broadcast.NONE);
      } else {
        ops.binary(BinaryOp.ADD, buf, d, buf, 1, cols, Broadcast.NONE);
      }
    }
    DeviceBuffer dir = buf;
    if (options.nesterov()) {
      ops.affine(buf, t, n, f(options.momentum()), 0f);
      ops.binary(BinaryOp.ADD, d, t, d, 1, cols, Broadcast.NONE);
      dir = d;
    }
    // p += (-lr) * dir
    ops.affine(dir, t, n, f(-options.lr()), 0f);
    ops.binary(BinaryOp.ADD, param, t, param, 1, cols, Broadcast.NONE);
  }

  private void ensureScratch() {
    if (direction != null) {
      return;
    }
    long largest = 1;
    for (Parameter p : parameters().values()) {
      largest = Math.max(largest, p.numel());
    }
    int size = Math.toIntExact(largest);
    direction = Tensor.allocate(allocator(), "SGD.direction", DType.FLOAT32, size);
    try {
      scaled = Tensor.allocate(allocator(), "SGD.scaled", DType.FLOAT32, size);
    } catch (RuntimeException e) {
      direction.release();
      direction = null;
      throw e;
    }
  }

  @Override
  public void close() {
    super.close();
    if (direction != null) {
      direction.release();
      scaled.release();
      direction = null;
      scaled = null;
    }
  }
}
