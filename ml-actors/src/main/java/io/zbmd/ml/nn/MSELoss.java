package io.zbmd.ml.nn;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;

/**
 * PyTorch's {@code nn.MSELoss} with its defaults: the mean over all values of {@code (input -
 * target)^2}, input and target of the same shape; the gradient is {@code 2 (input - target) /
 * numel}.
 *
 * <pre>{@code
 * MSELoss criterion = new MSELoss(alloc);
 * Tensor loss = criterion.forward(ops, prediction, target);
 * Tensor dprediction = criterion.backward(ops);
 * }</pre>
 */
public final class MSELoss implements Loss {
  private final TensorSlot diff;
  private final TensorSlot squares;
  private final TensorSlot loss;
  private final TensorSlot gradInput;
  private boolean forwarded;
  private boolean closed;

  public MSELoss(Allocator alloc) {
    this.diff = new TensorSlot(alloc, DType.FLOAT32, "MSELoss.diff");
    this.squares = new TensorSlot(alloc, DType.FLOAT32, "MSELoss.squares");
    this.loss = new TensorSlot(alloc, DType.FLOAT32, "MSELoss.loss");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "MSELoss.gradInput");
  }

  @Override
  public Tensor forward(Ops ops, Tensor input, Tensor target) {
    checkOpen();
    Shapes.requireFloat(this, "input", input);
    Shapes.requireSameShape(this, "target", input, target);
    int n = Shapes.toInt(this, input.numel());
    Tensor d = diff.get(input.shape());
    ops.binary(BinaryOp.SUB, input.buffer(), target.buffer(), d.buffer(), 1, n, Broadcast.NONE);
    Tensor sq = squares.get(input.shape());
    ops.unary(UnaryOp.SQUARE, d.buffer(), sq.buffer(), n);
    Tensor mean = loss.get();
    ops.reduce(ReduceOp.MEAN, sq.buffer(), mean.buffer(), 1, n, 1);
    forwarded = true; // the backward pass needs only the difference
    return mean;
  }

  @Override
  public Tensor backward(Ops ops, float scale) {
    checkOpen();
    if (!forwarded) {
      throw Shapes.noForward(this);
    }
    Tensor d = diff.current();
    Tensor g = gradInput.get(d.shape());
    ops.affine(d.buffer(), g.buffer(), d.numel(), 2f * scale / d.numel(), 0f);
    return g;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    diff.close();
    squares.close();
    loss.close();
    gradInput.close();
  }

  private void checkOpen() {
    if (closed) {
      throw Shapes.closed(this);
    }
  }

  @Override
  public String toString() {
    return "MSELoss()";
  }
}
