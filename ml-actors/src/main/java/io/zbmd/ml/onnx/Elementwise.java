package io.zbmd.ml.onnx;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;

/** Elementwise operators: Add, Sub, Mul, Div with broadcasting; activations; (Log)Softmax. */
final class Elementwise {
  private Elementwise() {}

  /** Add, Sub, Mul, Div: on the device, or on the host for shape arithmetic. */
  static final class Binary extends Node {
    private final BinaryOp op;
    private Tensor a;
    private Tensor b;
    private Tensor out;

    Binary(NodeProto def, int opset, BinaryOp op) {
      super(def, opset);
      this.op = op;
    }

    @Override
    Value forward(Run r, Value[] in) {
      if (in[0].onHost() && in[1].onHost()) {
        return hostForward(in[0], in[1]);
      }
      a = device(in[0], 0);
      b = device(in[1], 1);
      out = apply(r, op, a, b, toString());
      return Value.of(out);
    }

    private Value hostForward(Value x, Value y) {
      long[] p = x.ints();
      long[] q = y.ints();
      if (p.length != q.length && p.length != 1 && q.length != 1) {
        throw bad("host operands of " + p.length + " and " + q.length + " values");
      }
      int n = Math.max(p.length, q.length);
      long[] v = new long[n];
      for (int i = 0; i < n; i++) {
        long s = p[p.length == 1 ? 0 : i];
        long t = q[q.length == 1 ? 0 : i];
        v[i] = switch (op) {
          case ADD -> s + t;
          case SUB -> s - t;
          case MUL -> s * t;
          case DIV -> {
            if (t == 0) {
              throw bad("division by zero in a shape computation");
            }
            yield s / t;
          }
          default -> throw new IllegalStateException(op.toString());
        };
      }
      return Value.ints(v, p.length >= q.length ? x.hostShape() : y.hostShape());
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] g = new Tensor[2];
      String w = toString();
      switch (op) {
        case ADD, SUB -> {
          if (need[0]) {
            g[0] = reduceTo(r, dy, a.shape(), w);
          }
          if (need[1]) {
            g[1] = reduceTo(r, dy, b.shape(), w);
            if (op == BinaryOp.SUB) {
              r.ops.affine(g[1].buffer(), g[1].buffer(), g[1].numel(), -1f, 0f);
            }
          }
        }
        case MUL -> {
          if (need[0]) {
            g[0] = productReduced(r, dy, b, a.shape(), w);
          }
          if (need[1]) {
            g[1] = productReduced(r, dy, a, b.shape(), w);
          }
        }
        case DIV -> {
          if (need[0]) {
            Tensor q = apply(r, BinaryOp.DIV, dy, b, w);
            g[0] = reduceTo(r, q, a.shape(), w);
            q.release();
          }
          if (need[1]) { // d(a/b)/db = -out / b
            Tensor q = apply(r, BinaryOp.MUL, dy, out, w);
            Tensor s = apply(r, BinaryOp.DIV, q, b, w);
            q.release();
            r.ops.affine(s.buffer(), s.buffer(), s.numel(), -1f, 0f);
            g[1] = reduceTo(r, s, b.shape(), w);
            s.release();
          }
        }
        default -> throw new IllegalStateException(op.toString());
      }
      return g;
    }

    private static Tensor productReduced(Run r, Tensor dy, Tensor other, int[] shape, String w) {
      Tensor p = apply(r, BinaryOp.MUL, dy, other, w);
      Tensor g = reduceTo(r, p, shape, w);
      p.release();
      return g;
    }
  }

  /** {@code op(x, y)} with ONNX broadcasting, as a new tensor of the broadcast shape. */
  static Tensor apply(Run r, BinaryOp op, Tensor x, Tensor y, String what) {
    int[] shape = Bcast.shapeOf(what, x.shape(), y.shape());
    Tensor out = r.allocate(what, shape);
    try {
      if (Arrays.equals(shape, x.shape())) {
        Bcast.of(what, shape, y.shape()).apply(r, op, x, y, out);
      } else {
        // x is the broadcast side: expand it to the full shape first (0 + x), then op with y.
        out.fill(r.ops, 0f);
        Bcast.of(what, shape, x.shape()).apply(r, BinaryOp.ADD, out, x, out);
        if (!Arrays.equals(shape, y.shape())) {
          Tensor ey = r.zeros(what, shape);
          Bcast.of(what, shape, y.shape()).apply(r, BinaryOp.ADD, ey, y, ey);
          r.ops.binary(op, out.buffer(), ey.buffer(), out.buffer(), 1, (int) out.numel(),
              Broadcast.NONE);
          ey.release();
        } else {
          r.ops.binary(op, out.buffer(), y.buffer(), out.buffer(), 1, (int) out.numel(),
              Broadcast.NONE);
        }
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /** {@code g} summed over the dimensions {@code shape} was broadcast along (a copy if none). */
  static Tensor reduceTo(Run r, Tensor g, int[] shape, String what) {
    return Bcast.of(what, g.shape(), shape).reduce(r, g);
  }

  /** Relu, Sigmoid, Tanh, LeakyRelu. */
  static final class Activation extends Node {
    private final String kind;
    private final float alpha;
    private Tensor x;
    private Tensor y;

    Activation(NodeProto def, int opset) {
      super(def, opset);
      this.kind = def.getOpType();
      this.alpha = attrFloat("alpha", 0.01f);
    }

    @Override
    Value forward(Run r, Value[] in) {
      x = device(in[0], 0);
      y = r.allocate(toString(), x.shape());
      long n = x.numel();
      switch (kind) {
        case "Relu" -> r.ops.unary(UnaryOp.RELU, x.buffer(), y.buffer(), n);
        case "Sigmoid" -> r.ops.unary(UnaryOp.SIGMOID, x.buffer(), y.buffer(), n);
        case "Tanh" -> r.ops.unary(UnaryOp.TANH, x.buffer(), y.buffer(), n);
        case "LeakyRelu" -> { // relu(x) + alpha * (x - relu(x))
          Tensor pos = r.allocate(toString(), x.shape());
          r.ops.unary(UnaryOp.RELU, x.buffer(), pos.buffer(), n);
          r.ops.binary(BinaryOp.SUB, x.buffer(), pos.buffer(), y.buffer(), 1, (int) n, Broadcast.NONE);
          r.ops.affine(y.buffer(), y.buffer(), n, alpha, 0f);
          r.ops.binary(BinaryOp.ADD, y.buffer(), pos.buffer(), y.buffer(), 1, (int) n, Broadcast.NONE);
          pos.release();
        }
        default -> throw new IllegalStateException(kind);
      }
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      if (!need[0]) {
        return new Tensor[1];
      }
      int n = (int) y.numel();
      Tensor dx = r.allocate(toString() + " gradient", x.shape());
      switch (kind) {
        case "Relu" -> r.ops.binary(BinaryOp.RELU_GRAD, dy.buffer(), y.buffer(), dx.buffer(), 1, n,
            Broadcast.NONE);
        case "Sigmoid", "Tanh" -> {
          // sigmoid: dy * y * (1 - y); tanh: dy * (1 - y^2) = dy * (1 - y) * (1 + y)
          Tensor t = r.allocate(toString(), x.shape());
          r.ops.affine(y.buffer(), t.buffer(), n, -1f, 1f);
          r.ops.binary(BinaryOp.MUL, dy.buffer(), t.buffer(), dx.buffer(), 1, n, Broadcast.NONE);
          if (kind.equals("Sigmoid")) {
            r.ops.binary(BinaryOp.MUL, dx.buffer(), y.buffer(), dx.buffer(), 1, n, Broadcast.NONE);
          } else {
            r.ops.affine(y.buffer(), t.buffer(), n, 1f, 1f);
            r.ops.binary(BinaryOp.MUL, dx.buffer(), t.buffer(), dx.buffer(), 1, n, Broadcast.NONE);
          }
          t.release();
        }
        case "LeakyRelu" -> { // dy where x > 0, alpha * dy elsewhere
          Tensor t = r.allocate(toString(), x.shape());
          r.ops.binary(BinaryOp.RELU_GRAD, dy.buffer(), x.buffer(), t.buffer(), 1, n, Broadcast.NONE);
          r.ops.affine(dy.buffer(), dx.buffer(), n, alpha, 0f);
          r.ops.affine(t.buffer(), t.buffer(), n, 1f - alpha, 0f);
          r.ops.binary(BinaryOp.ADD, dx.buffer(), t.buffer(), dx.buffer(), 1, n, Broadcast.NONE);
          t.release();
        }
        default -> throw new IllegalStateException(kind);
      }
      return new Tensor[] {dx};
    }
  }

  /**
   * Softmax and LogSoftmax over rows: before opset 13 over the input flattened to 2-d at {@code
   * axis} (default 1), from 13 along {@code axis} (default -1), which must then be the last.
   */
  static final class Softmax extends Node {
    private final boolean log;
    private Tensor y;
    private int rows;
    private int cols;

    Softmax(NodeProto def, int opset) {
      super(def, opset);
      this.log = def.getOpType().equals("LogSoftmax");
    }

    @Override
    Value forward(Run r, Value[] in) {
      Tensor x = device(in[0], 0);
      int rank = x.rank();
      int ax = axis(attrInt("axis", opset >= 13 ? -1 : 1), rank, this);
      if (opset >= 13 && ax != rank - 1) {
        throw bad("softmax along axis " + ax + " of a rank-" + rank + " input: only the last axis");
      }
      long c = 1;
      for (int i = ax; i < rank; i++) {
        c *= x.dim(i);
      }
      cols = Run.toInt(toString(), c);
      rows = (int) (x.numel() / c);
      y = r.allocate(toString(), x.shape());
      Tensor m = r.allocate(toString(), rows);
      r.ops.reduce(ReduceOp.MAX, x.buffer(), m.buffer(), rows, cols, 1);
      r.ops.binary(BinaryOp.SUB, x.buffer(), m.buffer(), y.buffer(), rows, cols, Broadcast.COLUMN);
      Tensor e = r.allocate(toString(), x.shape());
      r.ops.unary(UnaryOp.EXP, y.buffer(), e.buffer(), x.numel());
      r.ops.reduce(ReduceOp.SUM, e.buffer(), m.buffer(), rows, cols, 1);
      if (log) {
        r.ops.unary(UnaryOp.LOG, m.buffer(), m.buffer(), rows);
        r.ops.binary(BinaryOp.SUB, y.buffer(), m.buffer(), y.buffer(), rows, cols, Broadcast.COLUMN);
      } else {
        r.ops.binary(BinaryOp.DIV, e.buffer(), m.buffer(), y.buffer(), rows, cols, Broadcast.COLUMN);
      }
      e.release();
      m.release();
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      if (!need[0]) {
        return new Tensor[1];
      }
      Tensor dx = r.allocate(toString() + " gradient", y.shape());
      Tensor s = r.allocate(toString(), rows);
      long n = y.numel();
      if (log) { // dx = dy - softmax * sum(dy)
        Tensor p = r.allocate(toString(), y.shape());
        r.ops.unary(UnaryOp.EXP, y.buffer(), p.buffer(), n);
        r.ops.reduce(ReduceOp.SUM, dy.buffer(), s.buffer(), rows, cols, 1);
        r.ops.binary(BinaryOp.MUL, p.buffer(), s.buffer(), p.buffer(), rows, cols, Broadcast.COLUMN);
        r.ops.binary(BinaryOp.SUB, dy.buffer(), p.buffer(), dx.buffer(), 1, (int) n, Broadcast.NONE);
        p.release();
      } else { // dx = y * (dy - sum(dy * y))
        r.ops.binary(BinaryOp.MUL, dy.buffer(), y.buffer(), dx.buffer(), 1, (int) n, Broadcast.NONE);
        r.ops.reduce(ReduceOp.SUM, dx.buffer(), s.buffer(), rows, cols, 1);
        r.ops.binary(BinaryOp.SUB, dy.buffer(), s.buffer(), dx.buffer(), rows, cols, Broadcast.COLUMN);
        r.ops.binary(BinaryOp.MUL, dx.buffer(), y.buffer(), dx.buffer(), 1, (int) n, Broadcast.NONE);
      }
      s.release();
      return new Tensor[] {dx};
    }
  }
}
