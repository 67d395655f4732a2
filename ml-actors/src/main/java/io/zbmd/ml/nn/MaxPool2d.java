package io.zbmd.ml.nn;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;

/**
 * Max pooling over NCHW inputs, PyTorch's {@code nn.MaxPool2d} without padding or dilation (floor
 * mode): a square {@code kernel} window moved by {@code stride} (the kernel size unless given). The
 * backward pass routes each gradient to the position that held the maximum (the first in row-major
 * window order on ties, as PyTorch).
 *
 * <pre>{@code
 * MaxPool2d pool = new MaxPool2d(alloc, 2);   // [N, C, 24, 24] -> [N, C, 12, 12]
 * }</pre>
 */
public final class MaxPool2d implements Module {
  private final int kernel;
  private final int stride;
  private final TensorSlot output;
  private final TensorSlot indices;
  private final TensorSlot gradInput;
  private PoolGeometry geometry;
  private int[] inputShape;
  private boolean closed;

  /** Stride equal to the kernel size, as PyTorch's default. */
  public MaxPool2d(Allocator alloc, int kernel) {
    this(alloc, kernel, kernel);
  }

  public MaxPool2d(Allocator alloc, int kernel, int stride) {
    if (kernel <= 0 || stride <= 0) {
      throw new IllegalArgumentException(
          "MaxPool2d needs kernel and stride > 0, got " + kernel + ", " + stride);
    }
    this.kernel = kernel;
    this.stride = stride;
    this.output = new TensorSlot(alloc, DType.FLOAT32, "MaxPool2d.output");
    this.indices = new TensorSlot(alloc, DType.INT32, "MaxPool2d.indices");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "MaxPool2d.gradInput");
  }

  @Override
  public Tensor forward(Ops ops, Tensor x, boolean training) {
    checkOpen();
    if (x.rank() != 4 || x.dtype() != DType.FLOAT32) {
      throw Shapes.mismatch(this, "input", "[N, C, H, W]", x);
    }
    if (x.dim(2) < kernel || x.dim(3) < kernel) {
      throw Shapes.mismatch(this, "input", "[N, C, H >= " + kernel + ", W >= " + kernel + "]", x);
    }
    PoolGeometry g =
        new PoolGeometry(
            Shapes.toInt(this, (long) x.dim(0) * x.dim(1)), x.dim(2), x.dim(3), kernel, stride);
    Tensor y = output.get(x.dim(0), x.dim(1), g.outHeight(), g.outWidth());
    Tensor idx = indices.get(y.shape());
    ops.maxPoolForward(x.buffer(), y.buffer(), idx.buffer(), g);
    geometry = g;
    inputShape = x.shape();
    return y;
  }

  @Override
  public Tensor backward(Ops ops, Tensor dy, boolean inputGrad) {
    checkOpen();
    if (geometry == null) {
      throw Shapes.noForward(this);
    }
    Shapes.requireSameShape(this, "output gradient", output.current(), dy);
    if (!inputGrad) {
      return null;
    }
    Tensor dx = gradInput.get(inputShape);
    ops.maxPoolBackward(dy.buffer(), indices.current().buffer(), dx.buffer(), geometry);
    return dx;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    output.close();
    indices.close();
    gradInput.close();
  }

  private void checkOpen() {
    if (closed) {
      throw Shapes.closed(this);
    }
  }

  @Override
  public String toString() {
    return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ")";
  }
}
