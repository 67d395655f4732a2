package io.zbmd.ml.nn;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A learnable tensor and its gradient, of the same shape. The module that made it owns both;
 * optimizers update {@link #value()} from {@link #grad()}; loading weights writes {@code value()}.
 * The gradient's storage may be moved into a shared bucket ({@link #useGradient}, what {@link
 * GradientBuckets} does), so read {@code grad()} when you use it rather than keeping it.
 *
 * <pre>{@code
 * Parameter w = linear.parameters().get("weight");
 * w.value().fromHost(ops, pretrained);   // [out, in], row-major
 * }</pre>
 */
public final class Parameter {
  private final Tensor value;
  private Tensor grad;

  public Parameter(Tensor value, Tensor grad) {
    Objects.requireNonNull(value, "value");
    check(value, grad);
    this.value = value;
    this.grad = grad;
  }

  private static void check(Tensor value, Tensor grad) {
    Objects.requireNonNull(grad, "grad");
    if (value.dtype() != DType.FLOAT32
        || grad.dtype() != DType.FLOAT32
        || !Arrays.equals(value.shape(), grad.shape())) {
      throw new IllegalArgumentException(
          "a parameter needs FLOAT32 value and grad of one shape, got " + value + " and " + grad);
    }
  }

  /**
   * A parameter of {@code shape} holding {@code initial} (row-major) with a zero gradient.
   *
   * @param what what it is, for leak reports
   */
  public static Parameter of(Ops ops, Allocator alloc, String what, float[] initial, int... shape) {
    Tensor value = Tensor.of(ops, alloc, what, initial, shape);
    try {
      return new Parameter(value, Tensor.zeros(ops, alloc, what + ".grad", shape));
    } catch (RuntimeException e) {
      value.release();
      throw e;
    }
  }

  public Tensor value() {
    return value;
  }

  /** The gradient; its storage may be a slice of a bucket (see {@link #useGradient}). */
  public Tensor grad() {
    return grad;
  }

  public int[] shape() {
    return value.shape();
  }

  public long numel() {
    return value.numel();
  }

  /** Sets the gradient to zero. */
  public void zeroGrad(Ops ops) {
    grad.fill(ops, 0f);
  }

  /**
   * Keeps the gradient in {@code storage} from now on (taking over the caller's reference), with
   * the current gradient's values copied there first; the old gradient is released.
   */
  public void useGradient(Ops ops, Tensor storage) {
    check(value, storage);
    ops.copy(grad.buffer(), 0, storage.buffer(), 0, grad.numel());
    Tensor old = grad;
    grad = storage;
    old.release();
  }

  /** Releases value and gradient. */
  public void release() {
    value.release();
    grad.release();
  }

  @Override
  public String toString() {
    return "Parameter" + Arrays.toString(shape());
  }
}
