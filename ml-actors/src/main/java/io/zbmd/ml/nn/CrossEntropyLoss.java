package io.zbmd.ml.nn;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;

/**
 * PyTorch's {@code nn.CrossEntropyLoss} with its defaults: the mean over the batch of {@code -log
 * softmax(logits)[label]}, for logits {@code [N, C]} and INT32 class labels {@code [N]} in {@code
 * [0, C)}. One fused softmax-cross-entropy op forward and backward.
 *
 * <pre>{@code
 * CrossEntropyLoss criterion = new CrossEntropyLoss(alloc);
 * Tensor loss = criterion.forward(ops, logits, labels);
 * Tensor dlogits = criterion.backward(ops);   // (softmax - onehot) / N
 * }</pre>
 */
public final class CrossEntropyLoss implements Loss {
  private final TensorSlot probs;
  private final TensorSlot rowLosses;
  private final TensorSlot loss;
  private final TensorSlot gradInput;
  private final Retained labels = new Retained();
  private int rows;
  private int classes;
  private boolean closed;

  public CrossEntropyLoss(Allocator alloc) {
    this.probs = new TensorSlot(alloc, DType.FLOAT32, "CrossEntropyLoss.probs");
    this.rowLosses = new TensorSlot(alloc, DType.FLOAT32, "CrossEntropyLoss.rowLosses");
    this.loss = new TensorSlot(alloc, DType.FLOAT32, "CrossEntropyLoss.loss");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "CrossEntropyLoss.gradInput");
  }

  @Override
  public Tensor forward(Ops ops, Tensor logits, Tensor target) {
    checkOpen();
    if (logits.rank() != 2 || logits.dtype() != DType.FLOAT32) {
      throw Shapes.mismatch(this, "input", "[N, C]", logits);
    }
    int n = logits.dim(0);
    int c = logits.dim(1);
    if (target.dtype() != DType.INT32 || !target.hasShape(n)) {
      throw new IllegalArgumentException(
          this + ": expected target of INT32 class labels of shape [" + n + "], got " + target);
    }
    Tensor p = probs.get(n, c);
    Tensor each = rowLosses.get(n);
    ops.softmaxCrossEntropyForward(
        logits.buffer(), target.buffer(), p.buffer(), each.buffer(), n, c);
    Tensor mean = loss.get();
    ops.reduce(ReduceOp.MEAN, each.buffer(), mean.buffer(), 1, n, 1);
    labels.hold(target);
    rows = n;
    classes = c;
    return mean;
  }

  @Override
  public Tensor backward(Ops ops, float scale) {
    checkOpen();
    if (labels.get() == null) {
      throw Shapes.noForward(this);
    }
    Tensor d = gradInput.get(rows, classes);
    ops.softmaxCrossEntropyBackward(
        probs.current().buffer(), labels.get().buffer(), d.buffer(), rows, classes, scale / rows);
    return d;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    probs.close();
    rowLosses.close();
    loss.close();
    gradInput.close();
    labels.close();
  }

  private void checkOpen() {
    if (closed) {
      throw Shapes.closed(this);
    }
  }

  @Override
  public String toString() {
    return "CrossEntropyLoss()";
  }
}
