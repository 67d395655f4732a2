package io.zbmd.ml.nn;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Tensor;

/**
 * What {@link Flatten} and {@link Unflatten} share: the output is a view of the input in another
 * shape (no copy), and the input gradient a view of the output gradient in the input's shape.
 */
abstract class Reshaping implements Module {
  private final Retained output = new Retained();
  private final Retained gradInput = new Retained();
  private int[] inputShape;
  private int[] outputShape;
  private boolean closed;

  /** The output shape for {@code input}, or an exception naming this layer. */
  abstract int[] outputShape(Tensor input);

  @Override
  public final Tensor forward(Ops ops, Tensor x, boolean training) {
    checkOpen();
    int[] shape = outputShape(x);
    Tensor y = output.hold(x, shape);
    inputShape = x.shape();
    outputShape = shape;
    return y;
  }

  @Override
  public final Tensor backward(Ops ops, Tensor dy, boolean inputGrad) {
    checkOpen();
    if (inputShape == null) {
      throw Shapes.noForward(this);
    }
    if (!dy.hasShape(outputShape)) {
      throw Shapes.mismatch(this, "output gradient", Tensor.shapeString(outputShape), dy);
    }
    if (!inputGrad) {
      return null;
    }
    return gradInput.hold(dy, inputShape);
  }

  @Override
  public final void close() {
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
}
