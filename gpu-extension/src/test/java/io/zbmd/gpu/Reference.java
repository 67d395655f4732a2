package io.zbmd.gpu;

/**
 * The oracle of the conformance suite: every op written as the plainest double-precision loop that
 * follows the {@link Ops} Javadoc, with no attention to speed. Where an output is a sum, a second
 * array gives the sum of the absolute values of its terms: the scale its rounding error grows with.
 */
public final class Reference {
  private Reference() {}

  /** Values and, per value, the magnitude its tolerance is relative to. */
  public record Result(double[] values, double[] scale) {
    static Result elementwise(double[] values) {
      double[] scale = new double[values.length];
      for (int i = 0; i < values.length; i++) {
        scale[i] = Math.abs(values[i]);
      }
      return new Result(values, scale);
    }
  }

  static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  // ---- gemm ----

  /**
   * The whole C buffer after {@code gemm}: elements outside the matrix keep their values (and zero
   * scale), so the comparison also proves nothing else was written.
   */
  public static Result gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
      double beta, float[] c, int cOffset, int ldc) {
    double[] out = toDouble(c);
    double[] scale = new double[c.length];
    gemmInto(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc,
        out, scale);
    return new Result(out, scale);
  }

  static void gemmInto(boolean transA, boolean transB, int m, int n, int k, double alpha,
      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
      double beta, float[] c, int cOffset, int ldc, double[] out, double[] scale) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        double mag = 0;
        for (int p = 0; p < k; p++) {
          double av = a[aOffset + (transA ? p * lda + i : i * lda + p)];
          double bv = b[bOffset + (transB ? j * ldb + p : p * ldb + j)];
          sum += av * bv;
          mag += Math.abs(av * bv);
        }
        int at = cOffset + i * ldc + j;
        // As BLAS: C is not read when beta is 0.
        double old = beta == 0 ? 0 : beta * c[at];
        out[at] = alpha * sum + old;
        scale[at] = Math.abs(alpha) * mag + Math.abs(old);
      }
    }
  }

  public static Result gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k,
      double alpha, float[] a, int aOffset, int lda, int strideA, float[] b, int bOffset, int ldb,
      int strideB, double beta, float[] c, int cOffset, int ldc, int strideC, int batch) {
    double[] out = toDouble(c);
    double[] scale = new double[c.length];
    for (int i = 0; i < batch; i++) {
      gemmInto(transA, transB, m, n, k, alpha, a, aOffset + i * strideA, lda, b, bOffset + i * strideB,
          ldb, beta, c, cOffset + i * strideC, ldc, out, scale);
    }
    return new Result(out, scale);
  }

  // ---- elementwise ----

  public static double unary(UnaryOp op, double x) {
    return switch (op) {
      case NEG -> -x;
      case ABS -> Math.abs(x);
      case EXP -> Math.exp(x);
      case LOG -> Math.log(x);
      case SQRT -> Math.sqrt(x);
      case SQUARE -> x * x;
      case RECIPROCAL -> 1 / x;
      case TANH -> Math.tanh(x);
      case SIGMOID -> 1 / (1 + Math.exp(-x));
      case RELU -> Math.max(x, 0);
    };
  }

  public static Result unary(UnaryOp op, float[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = unary(op, x[i]);
    }
    return Result.elementwise(y);
  }

  public static double binary(BinaryOp op, double a, double b) {
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case MAX -> Math.max(a, b);
      case MIN -> Math.min(a, b);
      case RELU_GRAD -> b > 0 ? a : 0;
    };
  }

  public static Result binary(BinaryOp op, float[] a, float[] b, int rows, int cols, Broadcast broadcast) {
    double[] out = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        float bv = switch (broadcast) {
          case NONE -> b[r * cols + c];
          case ROW -> b[c];
          case COLUMN -> b[r];
          case SCALAR -> b[0];
        };
        out[r * cols + c] = binary(op, a[r * cols + c], bv);
      }
    }
    return Result.elementwise(out);
  }

  // ---- reductions ----

  public static Result reduce(ReduceOp op, float[] x, int rows, int cols, int axis) {
    int outer = axis == 0 ? cols : rows;
    int inner = axis == 0 ? rows : cols;
    double[] out = new double[outer];
    double[] scale = new double[outer];
    for (int o = 0; o < outer; o++) {
      double sum = 0;
      double mag = 0;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < inner; i++) {
        double v = axis == 0 ? x[i * cols + o] : x[o * cols + i];
        sum += v;
        mag += Math.abs(v);
        max = Math.max(max, v);
      }
      switch (op) {
        case SUM -> {
          out[o] = sum;
          scale[o] = mag;
        }
        case MEAN -> {
          out[o] = sum / inner;
          scale[o] = mag / inner;
        }
        case MAX -> {
          out[o] = max;
          scale[o] = Math.abs(max);
        }
      }
    }
    return new Result(out, scale);
  }

  public static int[] argmax(float[] x, int rows, int cols) {
    int[] out = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 1; c < cols; c++) {
        if (x[r * cols + c] > x[r * cols + out[r]]) {
          out[r] = c;
        }
      }
    }
    return out;
  }

  // ---- images ----

  /** The image value under tap {@code (kh, kw)} of output {@code (oh, ow)}, or -1 in the padding. */
  private static int source(ConvGeometry g, int c, int kh, int kw, int oh, int ow) {
    int ih = oh * g.strideH() - g.padH() + kh;
    int iw = ow * g.strideW() - g.padW() + kw;
    if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) {
      return -1;
    }
    return (c * g.height() + ih) * g.width() + iw;
  }

  /** The whole cols buffer after {@code im2col} (elements outside the matrix kept). */
  public static Result im2col(float[] image, int imageOffset, ConvGeometry g, float[] cols, int colsOffset) {
    double[] out = toDouble(cols);
    int positions = g.outHeight() * g.outWidth();
    for (int c = 0; c < g.channels(); c++) {
      for (int kh = 0; kh < g.kernelH(); kh++) {
        for (int kw = 0; kw < g.kernelW(); kw++) {
          int row = (c * g.kernelH() + kh) * g.kernelW() + kw;
          for (int oh = 0; oh < g.outHeight(); oh++) {
            for (int ow = 0; ow < g.outWidth(); ow++) {
              int src = source(g, c, kh, kw, oh, ow);
              out[colsOffset + row * positions + oh * g.outWidth() + ow] =
                  src < 0 ? 0 : image[imageOffset + src];
            }
          }
        }
      }
    }
    return Result.elementwise(out);
  }

  /** The whole image buffer after {@code col2im} added into it. */
  public static Result col2im(float[] cols, int colsOffset, ConvGeometry g, float[] image, int imageOffset) {
    double[] out = toDouble(image);
    double[] scale = new double[image.length];
    for (int i = 0; i < image.length; i++) {
      scale[i] = Math.abs(out[i]);
    }
    int positions = g.outHeight() * g.outWidth();
    for (int c = 0; c < g.channels(); c++) {
      for (int kh = 0; kh < g.kernelH(); kh++) {
        for (int kw = 0; kw < g.kernelW(); kw++) {
          int row = (c * g.kernelH() + kh) * g.kernelW() + kw;
          for (int oh = 0; oh < g.outHeight(); oh++) {
            for (int ow = 0; ow < g.outWidth(); ow++) {
              int src = source(g, c, kh, kw, oh, ow);
              if (src >= 0) {
                double v = cols[colsOffset + row * positions + oh * g.outWidth() + ow];
                out[imageOffset + src] += v;
                scale[imageOffset + src] += Math.abs(v);
              }
            }
          }
        }
      }
    }
    return new Result(out, scale);
  }

  /** Max pooling: values and, on ties, the first position in row-major window order. */
  public record Pooled(double[] values, int[] indices) {}

  public static Pooled maxPoolForward(float[] x, PoolGeometry g) {
    int outH = g.outHeight();
    int outW = g.outWidth();
    double[] y = new double[(int) g.outputSize()];
    int[] idx = new int[y.length];
    for (int p = 0; p < g.planes(); p++) {
      for (int oh = 0; oh < outH; oh++) {
        for (int ow = 0; ow < outW; ow++) {
          int best = -1;
          for (int kh = 0; kh < g.kernel(); kh++) {
            for (int kw = 0; kw < g.kernel(); kw++) {
              int at = (oh * g.stride() + kh) * g.width() + ow * g.stride() + kw;
              if (best < 0 || x[p * g.height() * g.width() + at] > x[p * g.height() * g.width() + best]) {
                best = at;
              }
            }
          }
          int o = (p * outH + oh) * outW + ow;
          idx[o] = best;
          y[o] = x[p * g.height() * g.width() + best];
        }
      }
    }
    return new Pooled(y, idx);
  }

  public static Result maxPoolBackward(float[] dy, int[] indices, PoolGeometry g) {
    double[] dx = new double[(int) g.inputSize()];
    double[] scale = new double[dx.length];
    int planeIn = g.height() * g.width();
    int planeOut = g.outHeight() * g.outWidth();
    for (int p = 0; p < g.planes(); p++) {
      for (int o = 0; o < planeOut; o++) {
        int at = p * planeIn + indices[p * planeOut + o];
        dx[at] += dy[p * planeOut + o];
        scale[at] += Math.abs(dy[p * planeOut + o]);
      }
    }
    return new Result(dx, scale);
  }

  // ---- loss ----

  /** Softmax probabilities ({@code rows x cols}) and per-row losses. */
  public record SoftmaxCe(Result probs, Result losses) {}

  public static SoftmaxCe softmaxCrossEntropy(float[] logits, int[] labels, int rows, int cols) {
    double[] probs = new double[rows * cols];
    double[] losses = new double[rows];
    double[] lossScale = new double[rows];
    for (int r = 0; r < rows; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) {
        max = Math.max(max, logits[r * cols + c]);
      }
      double sum = 0;
      for (int c = 0; c < cols; c++) {
        sum += Math.exp(logits[r * cols + c] - max);
      }
      for (int c = 0; c < cols; c++) {
        probs[r * cols + c] = Math.exp(logits[r * cols + c] - max) / sum;
      }
      double shifted = logits[r * cols + labels[r]] - max;
      losses[r] = Math.log(sum) - shifted;
      // The loss is a difference of two terms; its error scales with both.
      lossScale[r] = Math.log(sum) + Math.abs(shifted);
    }
    return new SoftmaxCe(Result.elementwise(probs), new Result(losses, lossScale));
  }

  public static Result softmaxCrossEntropyBackward(float[] probs, int[] labels, int rows, int cols,
      double scale) {
    double[] d = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        d[r * cols + c] = scale * (probs[r * cols + c] - (c == labels[r] ? 1 : 0));
      }
    }
    return Result.elementwise(d);
  }

  // ---- optimizers: one step, in place on double state ----

  /** {@code velocity} may be null when momentum is 0. */
  public static void sgd(double[] p, float[] grad, double[] velocity, double lr, double momentum,
      double weightDecay) {
    for (int i = 0; i < p.length; i++) {
      double g = grad[i] + weightDecay * p[i];
      if (momentum != 0) {
        velocity[i] = momentum * velocity[i] + g;
        g = velocity[i];
      }
      p[i] -= lr * g;
    }
  }

  public static void adam(double[] p, float[] grad, double[] m, double[] v, double lr, double beta1,
      double beta2, double eps, double weightDecay, int step) {
    for (int i = 0; i < p.length; i++) {
      double g = grad[i] + weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      double mhat = m[i] / (1 - Math.pow(beta1, step));
      double vhat = v[i] / (1 - Math.pow(beta2, step));
      p[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
    }
  }
}
