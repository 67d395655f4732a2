package io.zbmd.gpu.cpu;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.UnaryOp;
import java.nio.FloatBuffer;

/**
 * Elementwise kernels. One loop per op (the switch is outside the loop) so that each loop stays a
 * tight run of absolute gets and puts. Transcendental functions use {@link StrictMath} in double,
 * rounded once to float: bit-for-bit the same on every JVM and machine, which checkpoint resumes
 * rely on ({@link Math}'s intrinsics may differ between platforms).
 */
final class CpuElementwise {
  private CpuElementwise() {}

  static void unary(Parallel par, UnaryOp op, FloatBuffer x, FloatBuffer y, int n) {
    par.forEach(n, 1, (from, to) -> unarySpan(op, x, y, from, to));
  }

  private static void unarySpan(UnaryOp op, FloatBuffer x, FloatBuffer y, int from, int to) {
    switch (op) {
      case NEG -> {
        for (int i = from; i < to; i++) {
          y.put(i, -x.get(i));
        }
      }
      case ABS -> {
        for (int i = from; i < to; i++) {
          y.put(i, Math.abs(x.get(i)));
        }
      }
      case EXP -> {
        for (int i = from; i < to; i++) {
          y.put(i, (float) StrictMath.exp(x.get(i)));
        }
      }
      case LOG -> {
        for (int i = from; i < to; i++) {
          y.put(i, (float) StrictMath.log(x.get(i)));
        }
      }
      case SQRT -> {
        // The double square root rounded to float is the correctly rounded float square root.
        for (int i = from; i < to; i++) {
          y.put(i, (float) Math.sqrt(x.get(i)));
        }
      }
      case SQUARE -> {
        for (int i = from; i < to; i++) {
          float v = x.get(i);
          y.put(i, v * v);
        }
      }
      case RECIPROCAL -> {
        for (int i = from; i < to; i++) {
          y.put(i, 1f / x.get(i));
        }
      }
      case TANH -> {
        for (int i = from; i < to; i++) {
          y.put(i, (float) StrictMath.tanh(x.get(i)));
        }
      }
      case SIGMOID -> {
        for (int i = from; i < to; i++) {
          y.put(i, (float) (1.0 / (1.0 + StrictMath.exp(-(double) x.get(i)))));
        }
      }
      case RELU -> {
        // Math.max keeps NaN (as torch.relu does) and maps -0 to +0.
        for (int i = from; i < to; i++) {
          y.put(i, Math.max(x.get(i), 0f));
        }
      }
      default -> throw new AssertionError(op);
    }
  }

  static void affine(Parallel par, FloatBuffer x, FloatBuffer y, int n, float scale, float shift) {
    par.forEach(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        y.put(i, scale * x.get(i) + shift);
      }
    });
  }

  /**
   * Split over the flat output, not rows, so that one long row parallelizes too; each chunk walks
   * its part of every row it touches, with b's position for that row.
   */
  static void binary(Parallel par, BinaryOp op, FloatBuffer a, FloatBuffer b, FloatBuffer out,
      int rows, int cols, Broadcast broadcast) {
    // b's element for (r, c) is bRowBase(r) + c * bStep.
    int bStep = broadcast == Broadcast.NONE || broadcast == Broadcast.ROW ? 1 : 0;
    par.forEach(rows * cols, 1, (from, to) -> {
      int r = from / cols;
      int c = from - r * cols;
      int i = from;
      while (i < to) {
        int len = Math.min(cols - c, to - i);
        int bRowBase = switch (broadcast) {
          case NONE -> r * cols;
          case ROW, SCALAR -> 0;
          case COLUMN -> r;
        };
        binarySpan(op, a, b, out, i, bRowBase + c * bStep, bStep, len);
        i += len;
        r++;
        c = 0;
      }
    });
  }

  private static void binarySpan(BinaryOp op, FloatBuffer a, FloatBuffer b, FloatBuffer out,
      int i0, int b0, int bStep, int len) {
    switch (op) {
      case ADD -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, a.get(i0 + j) + b.get(b0 + j * bStep));
        }
      }
      case SUB -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, a.get(i0 + j) - b.get(b0 + j * bStep));
        }
      }
      case MUL -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, a.get(i0 + j) * b.get(b0 + j * bStep));
        }
      }
      case DIV -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, a.get(i0 + j) / b.get(b0 + j * bStep));
        }
      }
      case MAX -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, Math.max(a.get(i0 + j), b.get(b0 + j * bStep)));
        }
      }
      case MIN -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, Math.min(a.get(i0 + j), b.get(b0 + j * bStep)));
        }
      }
      case RELU_GRAD -> {
        for (int j = 0; j < len; j++) {
          out.put(i0 + j, b.get(b0 + j * bStep) > 0f ? a.get(i0 + j) : 0f);
        }
      }
      default -> throw new AssertionError(op);
    }
  }
}
