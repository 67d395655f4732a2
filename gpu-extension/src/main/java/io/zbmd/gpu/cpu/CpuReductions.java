package io.zbmd.gpu.cpu;

import io.zbmd.gpu.ReduceOp;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Reductions, argmax and the fused softmax-cross-entropy. Each output value is reduced by one
 * thread in index order; sums accumulate in double (the CPU backend is the reference the others
 * are measured against, so it should be the accurate one) and are rounded to float once.
 */
final class CpuReductions {
  private CpuReductions() {}

  static void reduce(Parallel par, ReduceOp op, FloatBuffer x, FloatBuffer out, int rows, int cols,
      int axis) {
    if (axis == 1) {
      par.forEach(rows, cols, (from, to) -> {
        for (int r = from; r < to; r++) {
          out.put(r, reduceRow(op, x, r * cols, cols));
        }
      });
    } else {
      // Down the columns: a chunk of columns walks the rows in order (cache-friendly), each
      // column's accumulator still seeing its values in row order.
      par.forEach(cols, rows, (from, to) -> reduceColumns(op, x, out, rows, cols, from, to));
    }
  }

  private static float reduceRow(ReduceOp op, FloatBuffer x, int base, int cols) {
    if (op == ReduceOp.MAX) {
      float max = x.get(base);
      for (int c = 1; c < cols; c++) {
        max = Math.max(max, x.get(base + c));
      }
      return max;
    }
    double sum = 0;
    for (int c = 0; c < cols; c++) {
      sum += x.get(base + c);
    }
    return (float) (op == ReduceOp.MEAN ? sum / cols : sum);
  }

  private static void reduceColumns(ReduceOp op, FloatBuffer x, FloatBuffer out, int rows, int cols,
      int from, int to) {
    int width = to - from;
    if (op == ReduceOp.MAX) {
      float[] max = new float[width];
      for (int c = 0; c < width; c++) {
        max[c] = x.get(from + c);
      }
      for (int r = 1; r < rows; r++) {
        int base = r * cols + from;
        for (int c = 0; c < width; c++) {
          max[c] = Math.max(max[c], x.get(base + c));
        }
      }
      for (int c = 0; c < width; c++) {
        out.put(from + c, max[c]);
      }
      return;
    }
    double[] sum = new double[width];
    for (int r = 0; r < rows; r++) {
      int base = r * cols + from;
      for (int c = 0; c < width; c++) {
        sum[c] += x.get(base + c);
      }
    }
    for (int c = 0; c < width; c++) {
      out.put(from + c, (float) (op == ReduceOp.MEAN ? sum[c] / rows : sum[c]));
    }
  }

  static void argmax(Parallel par, FloatBuffer x, IntBuffer out, int rows, int cols) {
    par.forEach(rows, cols, (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = r * cols;
        int best = 0;
        float max = x.get(base);
        for (int c = 1; c < cols; c++) {
          float v = x.get(base + c);
          if (v > max) { // strict: the first maximum wins ties
            max = v;
            best = c;
          }
        }
        out.put(r, best);
      }
    });
  }

  /**
   * Per row: {@code m = max x}; {@code e_j = exp(x_j - m)} (at most 1, so no overflow); {@code
   * p_j = e_j / sum e}; {@code loss = log(sum e) - (x_label - m)}. Every row is fully read before
   * it is written, so {@code probs} may be {@code logits}.
   */
  static void softmaxCrossEntropyForward(Parallel par, FloatBuffer logits, IntBuffer labels,
      FloatBuffer probs, FloatBuffer losses, int rows, int cols) {
    checkLabels("softmaxCrossEntropyForward", labels, rows, cols);
    par.forEach(rows, cols, (from, to) -> {
      double[] e = new double[cols];
      for (int r = from; r < to; r++) {
        int base = r * cols;
        float max = logits.get(base);
        for (int c = 1; c < cols; c++) {
          max = Math.max(max, logits.get(base + c));
        }
        double sum = 0;
        for (int c = 0; c < cols; c++) {
          e[c] = StrictMath.exp(logits.get(base + c) - max);
          sum += e[c];
        }
        float shiftedLabel = logits.get(base + labels.get(r)) - max;
        for (int c = 0; c < cols; c++) {
          probs.put(base + c, (float) (e[c] / sum));
        }
        losses.put(r, (float) (StrictMath.log(sum) - shiftedLabel));
      }
    });
  }

  /** {@code dlogits = scale * (probs - onehot)}, elementwise, so {@code dlogits} may be {@code probs}. */
  static void softmaxCrossEntropyBackward(Parallel par, FloatBuffer probs, IntBuffer labels,
      FloatBuffer dlogits, int rows, int cols, float scale) {
    checkLabels("softmaxCrossEntropyBackward", labels, rows, cols);
    par.forEach(rows, cols, (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = r * cols;
        int label = labels.get(r);
        for (int c = 0; c < cols; c++) {
          float target = c == label ? 1f : 0f;
          dlogits.put(base + c, scale * (probs.get(base + c) - target));
        }
      }
    });
  }

  /** Labels live in device memory, so only the backend can check them: here, before any write. */
  private static void checkLabels(String op, IntBuffer labels, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int label = labels.get(r);
      if (label < 0 || label >= cols) {
        throw new IllegalArgumentException(op + ": labels[" + r + "] = " + label + " is not a class"
            + " index in [0, " + cols + ")");
      }
    }
  }
}
