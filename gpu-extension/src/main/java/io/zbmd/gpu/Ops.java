package io.zbmd.gpu;

/**
 * The primitive-op contract every backend implements, in the spirit of tinygrad: memory ops, gemm,
 * elementwise, reductions, im2col/col2im, max-pool, fused softmax-cross-entropy and optimizer
 * updates. Everything else (the {@code default} methods here) is a composite written once over
 * these; a backend may override a composite with a fused version.
 *
 * <p>An {@code Ops} is handed to a {@link DeviceStream.Work} and is only valid inside it: calls
 * enqueue work on the device's stream, in order. Sizes are in elements, offsets in elements from
 * the start of a buffer, matrices row-major. Arguments are checked before anything runs: a wrong
 * shape, a freed buffer or a buffer of another device throws {@link IllegalArgumentException} or
 * {@link IllegalStateException} naming it (backends get the checks from {@code
 * io.zbmd.gpu.internal.CheckedOps}).
 *
 * <p>Dimensions ({@code m}, {@code rows}, {@code n}...) must be positive; the counts of memory ops
 * may be 0 (nothing happens). An output must not overlap an input unless its method says it may:
 * backends compute in parallel, and an overlap would make the result depend on the schedule.
 * Values that live on the device (class labels, max-pool indices) cannot be checked from the host:
 * the CPU backend rejects bad ones; other backends give an unspecified result for them, never a
 * crash.
 */
public interface Ops {
  /** The device this work runs on. */
  DeviceId device();

  // ---- memory ----

  /** Copies {@code count} floats from the host into {@code dst} at {@code dstOffset}. */
  void copyFromHost(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

  /** Copies {@code count} ints from the host into the INT32 buffer {@code dst}. */
  void copyFromHost(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

  /** Copies {@code count} floats from {@code src} to the host. */
  void copyToHost(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count);

  /** Copies {@code count} ints from the INT32 buffer {@code src} to the host. */
  void copyToHost(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count);

  /**
   * Copies {@code count} values between buffers of this device (of the same dtype); the two
   * ranges must not overlap.
   */
  void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count);

  /** Sets {@code count} values of the FLOAT32 buffer {@code dst} from {@code offset} to {@code value}. */
  void fill(DeviceBuffer dst, long offset, long count, float value);

  // ---- compute ----

  /**
   * {@code C = alpha * op(A) * op(B) + beta * C}, where {@code op(X)} is X or its transpose; op(A) is
   * {@code m x k}, op(B) {@code k x n}, C {@code m x n}; {@code lda/ldb/ldc} are the row strides of
   * the stored matrices, as in row-major BLAS ({@code lda >= k}, or {@code >= m} when A is
   * transposed; {@code ldb >= n}, or {@code >= k}; {@code ldc >= n}). As in BLAS, C is not read when
   * {@code beta} is 0 (NaN there does not propagate). C must not overlap A or B.
   */
  void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc);

  /**
   * {@code batch} independent gemms; matrix {@code i} of A starts at {@code aOffset + i * strideA}
   * (a stride of 0 reuses one matrix for every batch, e.g. shared weights). Strides are {@code >=
   * 0}; the C matrices of different batches must not overlap.
   */
  void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch);

  /** {@code y[i] = op(x[i])} for {@code n} values; {@code y} may be {@code x}. */
  void unary(UnaryOp op, DeviceBuffer x, DeviceBuffer y, long n);

  /** {@code y[i] = scale * x[i] + shift} for {@code n} values; {@code y} may be {@code x}. */
  void affine(DeviceBuffer x, DeviceBuffer y, long n, float scale, float shift);

  /**
   * {@code out = op(a, b)} where {@code a} and {@code out} are {@code rows x cols} and {@code b}
   * covers them as {@code broadcast} says; {@code out} may be {@code a} (or {@code b} when the
   * broadcast is {@link Broadcast#NONE}).
   */
  void binary(BinaryOp op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, int rows, int cols,
      Broadcast broadcast);

  /**
   * Reduces a {@code rows x cols} matrix over {@code axis} (0: down the columns, giving {@code cols}
   * values; 1: along each row, giving {@code rows} values). {@code MEAN} divides the sum by the
   * number of values reduced.
   */
  void reduce(ReduceOp op, DeviceBuffer x, DeviceBuffer out, int rows, int cols, int axis);

  /** Index of the largest value of each row (the first on ties) into the INT32 buffer {@code out}. */
  void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols);

  /**
   * Unfolds one image at {@code imageOffset} into the column matrix at {@code colsOffset}: row
   * {@code (c * kernelH + kh) * kernelW + kw}, column {@code oh * outWidth + ow} holds {@code
   * image[c][oh * strideH - padH + kh][ow * strideW - padW + kw]}, 0 in the padding.
   */
  void im2col(DeviceBuffer image, long imageOffset, ConvGeometry g, DeviceBuffer cols, long colsOffset);

  /** The adjoint of im2col: adds the column matrix back into the image (which it does not clear). */
  void col2im(DeviceBuffer cols, long colsOffset, ConvGeometry g, DeviceBuffer image, long imageOffset);

  /**
   * Max pooling; {@code indices} (INT32) receives each maximum's position within its plane, {@code
   * h * width + w}; on ties, the first in row-major window order.
   */
  void maxPoolForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer indices, PoolGeometry g);

  /**
   * Routes {@code dy} to the positions recorded in {@code indices}; {@code dx} is overwritten (and
   * where windows overlap, a position receives the sum of what is routed to it).
   */
  void maxPoolBackward(DeviceBuffer dy, DeviceBuffer indices, DeviceBuffer dx, PoolGeometry g);

  /**
   * Fused softmax and cross-entropy of {@code rows x cols} logits against INT32 class labels:
   * writes the probabilities and each row's loss {@code -log p[label]}. Numerically stable (the
   * row maximum is subtracted before exp). Labels must lie in {@code [0, cols)}. {@code probs} may
   * be {@code logits}.
   */
  void softmaxCrossEntropyForward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer probs,
      DeviceBuffer losses, int rows, int cols);

  /**
   * {@code dlogits = scale * (probs - onehot(labels))}; scale is usually {@code 1 / rows}. {@code
   * dlogits} may be {@code probs}.
   */
  void softmaxCrossEntropyBackward(DeviceBuffer probs, DeviceBuffer labels, DeviceBuffer dlogits,
      int rows, int cols, float scale);

  /**
   * SGD with momentum and weight decay, as PyTorch's {@code torch.optim.SGD}: {@code g += wd * p;
   * v = momentum * v + g; p -= lr * v}. {@code velocity} may be null when momentum is 0, and starts
   * at zero (PyTorch's first step sets {@code v = g}, which is the same). {@code grad} is only read.
   * {@code lr}, {@code momentum} and {@code weightDecay} are {@code >= 0}; the buffers distinct.
   */
  void sgdUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, long n,
      float lr, float momentum, float weightDecay);

  /**
   * Adam as PyTorch's {@code torch.optim.Adam} (L2 weight decay added to the gradient), {@code step}
   * counting from 1 for the bias corrections: {@code g += wd * p; m = b1 m + (1 - b1) g; v = b2 v +
   * (1 - b2) g^2; p -= lr * mhat / (sqrt(vhat) + eps)} with {@code mhat = m / (1 - b1^step)}, {@code
   * vhat = v / (1 - b2^step)}. {@code m} and {@code v} start at zero; the buffers are distinct.
   * {@code lr} and the betas are doubles, as PyTorch's Python floats: the step size, {@code 1 -
   * b1}, {@code 1 - b2} and the bias corrections are computed from them in double and rounded to
   * float once ({@code 1 - 0.999} is {@code 0.001f}, where {@code 1 - 0.999f} is not).
   */
  void adamUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
      double lr, double beta1, double beta2, float eps, float weightDecay, int step);

  // ---- composites, written once over the primitives ----

  /**
   * A fully connected layer: {@code y = x * w^T + bias} with x {@code batch x in}, w {@code out x
   * in} (PyTorch's layout) and bias {@code out} values (or null).
   */
  default void linearForward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer y,
      int batch, int in, int out) {
    gemm(false, true, batch, out, in, 1f, x, 0, in, w, 0, in, 0f, y, 0, out);
    if (bias != null) {
      binary(BinaryOp.ADD, y, bias, y, batch, out, Broadcast.ROW);
    }
  }

  /**
   * Gradients of {@link #linearForward}: {@code dw = dy^T x}, {@code dbias = sum over rows of dy},
   * {@code dx = dy w} (dx may be null for the first layer).
   */
  default void linearBackward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer dy, DeviceBuffer dx,
      DeviceBuffer dw, DeviceBuffer dbias, int batch, int in, int out) {
    gemm(true, false, out, in, batch, 1f, dy, 0, out, x, 0, in, 0f, dw, 0, in);
    if (dbias != null) {
      reduce(ReduceOp.SUM, dy, dbias, batch, out, 0);
    }
    if (dx != null) {
      gemm(false, false, batch, in, out, 1f, dy, 0, out, w, 0, in, 0f, dx, 0, in);
    }
  }
}
