package io.zbmd.gpu.internal;

import static io.zbmd.gpu.DType.FLOAT32;
import static io.zbmd.gpu.DType.INT32;
import static io.zbmd.gpu.internal.Checks.batchSpan;
import static io.zbmd.gpu.internal.Checks.disjoint;
import static io.zbmd.gpu.internal.Checks.distinct;
import static io.zbmd.gpu.internal.Checks.hostRange;
import static io.zbmd.gpu.internal.Checks.inRange;
import static io.zbmd.gpu.internal.Checks.leadingDimension;
import static io.zbmd.gpu.internal.Checks.nonNegative;
import static io.zbmd.gpu.internal.Checks.notNull;
import static io.zbmd.gpu.internal.Checks.positive;
import static io.zbmd.gpu.internal.Checks.span;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;

/**
 * Checks every argument of every op, then hands the call to the backend's ops: written once, so
 * that no backend can forget a check and no bad stride, offset or freed buffer reaches native code
 * (an OpenBLAS, CUDA or Vulkan call with a wrong stride crashes the JVM or corrupts memory; a
 * thrown exception fails one stage). A backend's stream hands out {@code new CheckedOps(ops,
 * MyBuffer.class)}.
 *
 * <p>Composites are checked here as a whole and then forwarded to the backend's composite, so a
 * backend's fused override is used; the default composites are correct over arguments that pass
 * these checks. A composite added to {@link Ops} but not overridden here is still safe: its default
 * runs over this class's checked primitives (only the fused version is bypassed).
 *
 * <p>What lives on the device cannot be checked from the host without a copy: class labels and
 * max-pool indices. The CPU backend checks them as it reads them; GPU backends may give an
 * unspecified result for such a row, never a crash.
 */
public final class CheckedOps implements Ops {
  private final Ops delegate;
  private final Checks check;

  /**
   * @param delegate the backend's ops, which may assume every argument valid
   * @param bufferType the class of the backend's buffers, which {@code delegate} may cast to
   */
  public CheckedOps(Ops delegate, Class<? extends DeviceBuffer> bufferType) {
    this.delegate = delegate;
    this.check = new Checks(delegate.device(), bufferType);
  }

  @Override
  public DeviceId device() {
    return delegate.device();
  }

  // ---- memory ----

  @Override
  public void copyFromHost(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    String op = "copyFromHost";
    notNull(op, "src", src);
    nonNegative(op, "count", count);
    hostRange(op, "src", src.length, srcOffset, count);
    check.buffer(op, "dst", dst, FLOAT32, dstOffset, count);
    delegate.copyFromHost(src, srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copyFromHost(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    String op = "copyFromHost";
    notNull(op, "src", src);
    nonNegative(op, "count", count);
    hostRange(op, "src", src.length, srcOffset, count);
    check.buffer(op, "dst", dst, INT32, dstOffset, count);
    delegate.copyFromHost(src, srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
    String op = "copyToHost";
    nonNegative(op, "count", count);
    check.buffer(op, "src", src, FLOAT32, srcOffset, count);
    notNull(op, "dst", dst);
    hostRange(op, "dst", dst.length, dstOffset, count);
    delegate.copyToHost(src, srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
    String op = "copyToHost";
    nonNegative(op, "count", count);
    check.buffer(op, "src", src, INT32, srcOffset, count);
    notNull(op, "dst", dst);
    hostRange(op, "dst", dst.length, dstOffset, count);
    delegate.copyToHost(src, srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count) {
    String op = "copy";
    nonNegative(op, "count", count);
    notNull(op, "src", src);
    check.buffer(op, "src", src, src.dtype(), srcOffset, count);
    check.buffer(op, "dst", dst, src.dtype(), dstOffset, count);
    disjoint(op, "dst", dst, dstOffset, count, "src", src, srcOffset, count);
    delegate.copy(src, srcOffset, dst, dstOffset, count);
  }

  @Override
  public void fill(DeviceBuffer dst, long offset, long count, float value) {
    String op = "fill";
    nonNegative(op, "count", count);
    check.buffer(op, "dst", dst, FLOAT32, offset, count);
    delegate.fill(dst, offset, count, value);
  }

  // ---- compute ----

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc) {
    checkGemm("gemm", transA, transB, m, n, k, a, aOffset, lda, 0, b, bOffset, ldb, 0,
        c, cOffset, ldc, 0, 1);
    delegate.gemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  }

  @Override
  public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    checkGemm("gemmStridedBatched", transA, transB, m, n, k, a, aOffset, lda, strideA,
        b, bOffset, ldb, strideB, c, cOffset, ldc, strideC, batch);
    delegate.gemmStridedBatched(transA, transB, m, n, k, alpha, a, aOffset, lda, strideA,
        b, bOffset, ldb, strideB, beta, c, cOffset, ldc, strideC, batch);
  }

  private void checkGemm(String op, boolean transA, boolean transB, int m, int n, int k,
      DeviceBuffer a, long aOffset, int lda, long strideA, DeviceBuffer b, long bOffset, int ldb,
      long strideB, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    positive(op, "m", m);
    positive(op, "n", n);
    positive(op, "k", k);
    positive(op, "batch", batch);
    // Stored shapes, row-major: A is m x k (k x m when transposed), B is k x n (n x k).
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    leadingDimension(op, "lda", lda, aCols, transA ? "A^T, m" : "A, k");
    leadingDimension(op, "ldb", ldb, bCols, transB ? "B^T, k" : "B, n");
    leadingDimension(op, "ldc", ldc, n, "C, n");
    long cSpan = span(m, n, ldc);
    long aExtent = batchSpan(op, "strideA", span(aRows, aCols, lda), strideA, batch);
    long bExtent = batchSpan(op, "strideB", span(bRows, bCols, ldb), strideB, batch);
    long cExtent = batchSpan(op, "strideC", cSpan, strideC, batch);
    if (batch > 1 && strideC < cSpan) {
      throw new IllegalArgumentException(op + ": strideC must be >= " + cSpan
          + " (one C matrix) so that batches do not write the same elements, got " + strideC);
    }
    check.buffer(op, "a", a, FLOAT32, aOffset, aExtent);
    check.buffer(op, "b", b, FLOAT32, bOffset, bExtent);
    check.buffer(op, "c", c, FLOAT32, cOffset, cExtent);
    disjoint(op, "c", c, cOffset, cExtent, "a", a, aOffset, aExtent);
    disjoint(op, "c", c, cOffset, cExtent, "b", b, bOffset, bExtent);
  }

  @Override
  public void unary(UnaryOp op, DeviceBuffer x, DeviceBuffer y, long n) {
    String name = "unary";
    notNull(name, "op", op);
    positive(name, "n", n);
    check.buffer(name, "x", x, FLOAT32, 0, n);
    check.buffer(name, "y", y, FLOAT32, 0, n);
    delegate.unary(op, x, y, n);
  }

  @Override
  public void affine(DeviceBuffer x, DeviceBuffer y, long n, float scale, float shift) {
    String op = "affine";
    positive(op, "n", n);
    check.buffer(op, "x", x, FLOAT32, 0, n);
    check.buffer(op, "y", y, FLOAT32, 0, n);
    delegate.affine(x, y, n, scale, shift);
  }

  @Override
  public void binary(BinaryOp op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, int rows, int cols,
      Broadcast broadcast) {
    String name = "binary";
    notNull(name, "op", op);
    notNull(name, "broadcast", broadcast);
    positive(name, "rows", rows);
    positive(name, "cols", cols);
    long size = (long) rows * cols;
    long bSize = switch (broadcast) {
      case NONE -> size;
      case ROW -> cols;
      case COLUMN -> rows;
      case SCALAR -> 1;
    };
    check.buffer(name, "a", a, FLOAT32, 0, size);
    check.buffer(name, "b", b, FLOAT32, 0, bSize);
    check.buffer(name, "out", out, FLOAT32, 0, size);
    if (broadcast != Broadcast.NONE) {
      // A broadcast b is read for every row or column: writing over it would change later reads.
      disjoint(name, "out", out, 0, size, "b (broadcast " + broadcast + ")", b, 0, bSize);
    }
    delegate.binary(op, a, b, out, rows, cols, broadcast);
  }

  @Override
  public void reduce(ReduceOp op, DeviceBuffer x, DeviceBuffer out, int rows, int cols, int axis) {
    String name = "reduce";
    notNull(name, "op", op);
    positive(name, "rows", rows);
    positive(name, "cols", cols);
    if (axis != 0 && axis != 1) {
      throw new IllegalArgumentException(name + ": axis must be 0 (down the columns) or 1 (along"
          + " the rows), got " + axis);
    }
    check.buffer(name, "x", x, FLOAT32, 0, (long) rows * cols);
    check.buffer(name, "out", out, FLOAT32, 0, axis == 0 ? cols : rows);
    distinct(name, "out", out, "x", x);
    delegate.reduce(op, x, out, rows, cols, axis);
  }

  @Override
  public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
    String op = "argmax";
    positive(op, "rows", rows);
    positive(op, "cols", cols);
    check.buffer(op, "x", x, FLOAT32, 0, (long) rows * cols);
    check.buffer(op, "out", out, INT32, 0, rows);
    delegate.argmax(x, out, rows, cols);
  }

  @Override
  public void im2col(DeviceBuffer image, long imageOffset, ConvGeometry g, DeviceBuffer cols, long colsOffset) {
    String op = "im2col";
    notNull(op, "geometry", g);
    check.buffer(op, "image", image, FLOAT32, imageOffset, g.imageSize());
    check.buffer(op, "cols", cols, FLOAT32, colsOffset, g.columnsSize());
    disjoint(op, "cols", cols, colsOffset, g.columnsSize(), "image", image, imageOffset, g.imageSize());
    delegate.im2col(image, imageOffset, g, cols, colsOffset);
  }

  @Override
  public void col2im(DeviceBuffer cols, long colsOffset, ConvGeometry g, DeviceBuffer image, long imageOffset) {
    String op = "col2im";
    notNull(op, "geometry", g);
    check.buffer(op, "cols", cols, FLOAT32, colsOffset, g.columnsSize());
    check.buffer(op, "image", image, FLOAT32, imageOffset, g.imageSize());
    disjoint(op, "image", image, imageOffset, g.imageSize(), "cols", cols, colsOffset, g.columnsSize());
    delegate.col2im(cols, colsOffset, g, image, imageOffset);
  }

  @Override
  public void maxPoolForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer indices, PoolGeometry g) {
    String op = "maxPoolForward";
    notNull(op, "geometry", g);
    check.buffer(op, "x", x, FLOAT32, 0, g.inputSize());
    check.buffer(op, "y", y, FLOAT32, 0, g.outputSize());
    check.buffer(op, "indices", indices, INT32, 0, g.outputSize());
    distinct(op, "y", y, "x", x);
    delegate.maxPoolForward(x, y, indices, g);
  }

  @Override
  public void maxPoolBackward(DeviceBuffer dy, DeviceBuffer indices, DeviceBuffer dx, PoolGeometry g) {
    String op = "maxPoolBackward";
    notNull(op, "geometry", g);
    check.buffer(op, "dy", dy, FLOAT32, 0, g.outputSize());
    check.buffer(op, "indices", indices, INT32, 0, g.outputSize());
    check.buffer(op, "dx", dx, FLOAT32, 0, g.inputSize());
    distinct(op, "dx", dx, "dy", dy);
    delegate.maxPoolBackward(dy, indices, dx, g);
  }

  @Override
  public void softmaxCrossEntropyForward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer probs,
      DeviceBuffer losses, int rows, int cols) {
    String op = "softmaxCrossEntropyForward";
    positive(op, "rows", rows);
    positive(op, "cols", cols);
    long size = (long) rows * cols;
    check.buffer(op, "logits", logits, FLOAT32, 0, size);
    check.buffer(op, "labels", labels, INT32, 0, rows);
    check.buffer(op, "probs", probs, FLOAT32, 0, size);
    check.buffer(op, "losses", losses, FLOAT32, 0, rows);
    // probs may be logits (each row is read before it is written); losses may alias neither.
    distinct(op, "losses", losses, "logits", logits);
    distinct(op, "losses", losses, "probs", probs);
    delegate.softmaxCrossEntropyForward(logits, labels, probs, losses, rows, cols);
  }

  @Override
  public void softmaxCrossEntropyBackward(DeviceBuffer probs, DeviceBuffer labels, DeviceBuffer dlogits,
      int rows, int cols, float scale) {
    String op = "softmaxCrossEntropyBackward";
    positive(op, "rows", rows);
    positive(op, "cols", cols);
    long size = (long) rows * cols;
    check.buffer(op, "probs", probs, FLOAT32, 0, size);
    check.buffer(op, "labels", labels, INT32, 0, rows);
    check.buffer(op, "dlogits", dlogits, FLOAT32, 0, size);
    delegate.softmaxCrossEntropyBackward(probs, labels, dlogits, rows, cols, scale);
  }

  @Override
  public void sgdUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, long n,
      float lr, float momentum, float weightDecay) {
    String op = "sgdUpdate";
    positive(op, "n", n);
    // The ranges torch.optim.SGD accepts.
    inRange(op, "lr", lr, 0f, Float.POSITIVE_INFINITY, false);
    inRange(op, "momentum", momentum, 0f, Float.POSITIVE_INFINITY, false);
    inRange(op, "weightDecay", weightDecay, 0f, Float.POSITIVE_INFINITY, false);
    check.buffer(op, "param", param, FLOAT32, 0, n);
    check.buffer(op, "grad", grad, FLOAT32, 0, n);
    if (momentum != 0f && velocity == null) {
      throw new IllegalArgumentException(op + ": velocity is null but momentum is " + momentum);
    }
    check.optionalBuffer(op, "velocity", velocity, FLOAT32, n);
    distinct(op, "param", param, "grad", grad);
    distinct(op, "velocity", velocity, "param", param);
    distinct(op, "velocity", velocity, "grad", grad);
    delegate.sgdUpdate(param, grad, velocity, n, lr, momentum, weightDecay);
  }

  @Override
  public void adamUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
      double lr, double beta1, double beta2, float eps, float weightDecay, int step) {
    String op = "adamUpdate";
    positive(op, "n", n);
    positive(op, "step", step);
    // The ranges torch.optim.Adam accepts.
    inRange(op, "lr", lr, 0f, Float.POSITIVE_INFINITY, false);
    inRange(op, "beta1", beta1, 0f, 1f, false);
    inRange(op, "beta2", beta2, 0f, 1f, false);
    inRange(op, "eps", eps, 0f, Float.POSITIVE_INFINITY, false);
    inRange(op, "weightDecay", weightDecay, 0f, Float.POSITIVE_INFINITY, false);
    check.buffer(op, "param", param, FLOAT32, 0, n);
    check.buffer(op, "grad", grad, FLOAT32, 0, n);
    check.buffer(op, "m", m, FLOAT32, 0, n);
    check.buffer(op, "v", v, FLOAT32, 0, n);
    distinct(op, "param", param, "grad", grad);
    distinct(op, "m", m, "param", param);
    distinct(op, "m", m, "grad", grad);
    distinct(op, "v", v, "param", param);
    distinct(op, "v", v, "grad", grad);
    distinct(op, "v", v, "m", m);
    delegate.adamUpdate(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, step);
  }

  // ---- composites: checked whole, then the backend's (possibly fused) version ----

  @Override
  public void linearForward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer y,
      int batch, int in, int out) {
    String op = "linearForward";
    positive(op, "batch", batch);
    positive(op, "in", in);
    positive(op, "out", out);
    check.buffer(op, "x", x, FLOAT32, 0, (long) batch * in);
    check.buffer(op, "w", w, FLOAT32, 0, (long) out * in);
    check.optionalBuffer(op, "bias", bias, FLOAT32, out);
    check.buffer(op, "y", y, FLOAT32, 0, (long) batch * out);
    distinct(op, "y", y, "x", x);
    distinct(op, "y", y, "w", w);
    distinct(op, "y", y, "bias", bias);
    delegate.linearForward(x, w, bias, y, batch, in, out);
  }

  @Override
  public void linearBackward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer dy, DeviceBuffer dx,
      DeviceBuffer dw, DeviceBuffer dbias, int batch, int in, int out) {
    String op = "linearBackward";
    positive(op, "batch", batch);
    positive(op, "in", in);
    positive(op, "out", out);
    check.buffer(op, "x", x, FLOAT32, 0, (long) batch * in);
    check.buffer(op, "w", w, FLOAT32, 0, (long) out * in);
    check.buffer(op, "dy", dy, FLOAT32, 0, (long) batch * out);
    check.optionalBuffer(op, "dx", dx, FLOAT32, (long) batch * in);
    check.buffer(op, "dw", dw, FLOAT32, 0, (long) out * in);
    check.optionalBuffer(op, "dbias", dbias, FLOAT32, out);
    DeviceBuffer[] inputs = {x, w, dy};
    String[] inputNames = {"x", "w", "dy"};
    for (int i = 0; i < inputs.length; i++) {
      distinct(op, "dw", dw, inputNames[i], inputs[i]);
      distinct(op, "dx", dx, inputNames[i], inputs[i]);
      distinct(op, "dbias", dbias, inputNames[i], inputs[i]);
    }
    distinct(op, "dx", dx, "dw", dw);
    distinct(op, "dbias", dbias, "dw", dw);
    distinct(op, "dbias", dbias, "dx", dx);
    delegate.linearBackward(x, w, dy, dx, dw, dbias, batch, in, out);
  }
}
