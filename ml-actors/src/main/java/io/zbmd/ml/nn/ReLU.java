package io.zbmd.ml.nn;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;

/**
 * {@code max(x, 0)} elementwise, PyTorch's {@code nn.ReLU}, for inputs of any shape. The backward
 * pass passes the gradient where the output is positive (0 at {@code x = 0}, as PyTorch).
 *
 * <pre>{@code
 * ReLU relu = new ReLU(alloc);
 * Tensor h = relu.forward(ops, z, true);
 * }</pre>
 */
public final class ReLU implements Module {
  private final TensorSlot output;
  private final TensorSlot gradInput;
  private boolean forwarded;
  private boolean closed;

  public ReLU(Allocator alloc) {
    this.output = new TensorSlot(alloc, DType.FLOAT32, "ReLU.output");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "ReLU.gradInput");
  }

  @Override
  public Tensor forward(Ops ops, Tensor x, boolean training) {
    checkOpen();
    Shapes.requireFloat(this, "input", x);
    Tensor y = output.get(x.shape());
    ops.unary(UnaryOp.RELU, x.buffer(), y.buffer(), x.numel());
    forwarded = true; // the backward pass reads the output: y > 0 exactly where x > 0
    return y;
  }

  @Override
  public Tensor backward(Ops ops, Tensor dy, boolean inputGrad) {
    checkOpen();
    if (!forwarded) {
      throw Shapes.noForward(this);
    }
    Tensor y = output.current();
    Shapes.requireSameShape(this, "output gradient", y, dy);
    if (!inputGrad) {
      return null;
    }
    Tensor dx = gradInput.get(y.shape());
    ops.binary(
        BinaryOp.RELU_GRAD,
        dy.buffer(),
        y.buffer(),
        dx.buffer(),
        1,
        Shapes.toInt(this, y.numel()),
        Broadcast.NONE);
    return dx;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    output.close();
    gradInput.close();
  }

  private void checkOpen() {
    if (closed) {
      throw Shapes.closed(this);
    }
  }

  @Override
  public String toString() {
    return "ReLU()";
  }
}
