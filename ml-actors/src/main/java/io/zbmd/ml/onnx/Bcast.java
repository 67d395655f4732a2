package io.zbmd.ml.onnx;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;

/**
 * ONNX's multidirectional broadcasting of a smaller operand {@code b} over a full shape, mapped
 * onto {@link io.zbmd.gpu.Ops#binary}'s broadcasts: the same shape, one value, a trailing row (a
 * bias), a leading column, or a block in the middle ({@code [C, 1, 1]} over {@code [N, C, H, W]}: a
 * column of {@code N * C} values, {@code b} tiled {@code outer} times).
 */
record Bcast(int rows, int cols, Broadcast kind, int outer, int mid, int[] bShape) {
  static Bcast of(String what, int[] full, int[] b) {
    long numel = Tensor.numel(full);
    int rank = full.length;
    if (b.length > rank) {
      throw cannot(what, full, b);
    }
    int[] bb = new int[rank];
    Arrays.fill(bb, 1);
    System.arraycopy(b, 0, bb, rank - b.length, b.length);
    int first = -1;
    int last = -1;
    for (int i = 0; i < rank; i++) {
      if (bb[i] != 1 && bb[i] != full[i]) {
        throw cannot(what, full, b);
      }
      if (bb[i] != 1) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    int n = Run.toInt(what, numel);
    if (first < 0) {
      return new Bcast(1, n, Broadcast.SCALAR, 1, 1, b);
    }
    if (Tensor.numel(bb) == numel) {
      return new Bcast(1, n, Broadcast.NONE, 1, n, b);
    }
    long outer = 1;
    long mid = 1;
    for (int i = 0; i < rank; i++) {
      if (i < first) {
        outer *= full[i];
      } else if (i <= last) {
        if (bb[i] != full[i]) {
          throw cannot(what, full, b); // a hole in the block: [C, 1, W] over [N, C, H, W]
        }
        mid *= full[i];
      }
    }
    long inner = numel / outer / mid;
    if (inner == 1) {
      return new Bcast((int) outer, (int) mid, Broadcast.ROW, (int) outer, (int) mid, b);
    }
    return new Bcast((int) (outer * mid), (int) inner, Broadcast.COLUMN, (int) outer, (int) mid, b);
  }

  private static IllegalArgumentException cannot(String what, int[] full, int[] b) {
    return new IllegalArgumentException(what + ": cannot broadcast " + Tensor.shapeString(b)
        + " over " + Tensor.shapeString(full));
  }

  /** {@code out = op(a, b)}, {@code a} and {@code out} of the full shape. */
  void apply(Run r, BinaryOp op, Tensor a, Tensor b, Tensor out) {
    if (kind == Broadcast.COLUMN && outer > 1) {
      Tensor tiled = r.allocate("broadcast", outer * mid);
      try {
        for (int i = 0; i < outer; i++) {
          r.ops.copy(b.buffer(), 0, tiled.buffer(), (long) i * mid, mid);
        }
        r.ops.binary(op, a.buffer(), tiled.buffer(), out.buffer(), rows, cols, kind);
      } finally {
        tiled.release();
      }
    } else {
      r.ops.binary(op, a.buffer(), b.buffer(), out.buffer(), rows, cols, kind);
    }
  }

  /** The sum of a full-shaped gradient over the broadcast dimensions: a tensor of b's shape. */
  Tensor reduce(Run r, Tensor g) {
    Tensor out = r.allocate("broadcast gradient", bShape);
    switch (kind) {
      case NONE -> r.ops.copy(g.buffer(), 0, out.buffer(), 0, out.numel());
      case SCALAR -> r.ops.reduce(ReduceOp.SUM, g.buffer(), out.buffer(), 1, cols, 1);
      case ROW -> r.ops.reduce(ReduceOp.SUM, g.buffer(), out.buffer(), rows, cols, 0);
      case COLUMN -> {
        if (outer == 1) {
          r.ops.reduce(ReduceOp.SUM, g.buffer(), out.buffer(), rows, cols, 1);
        } else {
          Tensor t = r.allocate("broadcast gradient", rows);
          try {
            r.ops.reduce(ReduceOp.SUM, g.buffer(), t.buffer(), rows, cols, 1);
            r.ops.reduce(ReduceOp.SUM, t.buffer(), out.buffer(), outer, mid, 0);
          } finally {
            t.release();
          }
        }
      }
      default -> throw new IllegalStateException(kind.toString());
    }
    return out;
  }

  /** The shape both operands broadcast to, or an exception naming {@code what}. */
  static int[] shapeOf(String what, int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int x = i < rank - a.length ? 1 : a[i - (rank - a.length)];
      int y = i < rank - b.length ? 1 : b[i - (rank - b.length)];
      if (x != y && x != 1 && y != 1) {
        throw cannot(what, a, b);
      }
      out[i] = Math.max(x, y);
    }
    return out;
  }
}
