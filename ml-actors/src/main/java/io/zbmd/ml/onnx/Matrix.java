package io.zbmd.ml.onnx;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.tensor.Tensor;

/** Gemm and MatMul: matrix products through {@link io.zbmd.gpu.Ops#gemm}. */
final class Matrix {
  private Matrix() {}

  /** {@code Y = alpha * op(A) op(B) + beta * C}, C broadcast ({@code nn.Linear} exports as this). */
  static final class Gemm extends Node {
    private final boolean transA;
    private final boolean transB;
    private final float alpha;
    private final float beta;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    private int m;
    private int n;
    private int k;

    Gemm(NodeProto def, int opset) {
      super(def, opset);
      transA = attrInt("transA", 0) != 0;
      transB = attrInt("transB", 0) != 0;
      alpha = attrFloat("alpha", 1f);
      beta = attrFloat("beta", 1f);
    }

    @Override
    Value forward(Run r, Value[] in) {
      a = device(in[0], 0);
      b = device(in[1], 1);
      c = in.length > 2 && in[2] != null ? device(in[2], 2) : null;
      if (a.rank() != 2 || b.rank() != 2) {
        throw bad("needs 2-d A and B, got " + Tensor.shapeString(a.shape()) + " and "
            + Tensor.shapeString(b.shape()));
      }
      m = transA ? a.dim(1) : a.dim(0);
      k = transA ? a.dim(0) : a.dim(1);
      int kb = transB ? b.dim(1) : b.dim(0);
      n = transB ? b.dim(0) : b.dim(1);
      if (k != kb) {
        throw bad("A " + Tensor.shapeString(a.shape()) + (transA ? "^T" : "") + " and B "
            + Tensor.shapeString(b.shape()) + (transB ? "^T" : "") + " do not multiply");
      }
      Tensor y = r.allocate(toString(), m, n);
      r.ops.gemm(transA, transB, m, n, k, alpha, a.buffer(), 0, a.dim(1), b.buffer(), 0, b.dim(1),
          0f, y.buffer(), 0, n);
      if (c != null && beta != 0f) {
        Bcast bc = Bcast.of(toString(), y.shape(), c.shape());
        if (beta == 1f) {
          bc.apply(r, BinaryOp.ADD, y, c, y);
        } else {
          Tensor sc = r.allocate(toString(), c.shape());
          r.ops.affine(c.buffer(), sc.buffer(), c.numel(), beta, 0f);
          bc.apply(r, BinaryOp.ADD, y, sc, y);
          sc.release();
        }
      }
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] g = new Tensor[3];
      int lda = a.dim(1);
      int ldb = b.dim(1);
      if (need[0]) {
        g[0] = r.allocate(toString() + " gradient", a.shape());
        if (!transA) { // dA = dy op(B)^T
          r.ops.gemm(false, !transB, m, k, n, alpha, dy.buffer(), 0, n, b.buffer(), 0, ldb, 0f,
              g[0].buffer(), 0, k);
        } else { // dA (stored k x m) = op(B) dy^T
          r.ops.gemm(transB, true, k, m, n, alpha, b.buffer(), 0, ldb, dy.buffer(), 0, n, 0f,
              g[0].buffer(), 0, m);
        }
      }
      if (need[1]) {
        g[1] = r.allocate(toString() + " gradient", b.shape());
        if (!transB) { // dB = op(A)^T dy
          r.ops.gemm(!transA, false, k, n, m, alpha, a.buffer(), 0, lda, dy.buffer(), 0, n, 0f,
              g[1].buffer(), 0, n);
        } else { // dB (stored n x k) = dy^T op(A)
          r.ops.gemm(true, transA, n, k, m, alpha, dy.buffer(), 0, n, a.buffer(), 0, lda, 0f,
              g[1].buffer(), 0, k);
        }
      }
      if (need.length > 2 && need[2] && c != null) {
        g[2] = Elementwise.reduceTo(r, dy, c.shape(), toString());
        if (beta != 1f) {
          r.ops.affine(g[2].buffer(), g[2].buffer(), g[2].numel(), beta, 0f);
        }
      }
      return g;
    }
  }

  /** {@code A [..., M, K] x B [K, N]}: leading dimensions of A fold into M. */
  static final class MatMul extends Node {
    private Tensor a;
    private Tensor b;
    private int m;
    private int n;
    private int k;

    MatMul(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      a = device(in[0], 0);
      b = device(in[1], 1);
      if (a.rank() < 2 || b.rank() != 2 || a.dim(-1) != b.dim(0)) {
        throw bad("needs A [..., M, K] and B [K, N], got " + Tensor.shapeString(a.shape())
            + " and " + Tensor.shapeString(b.shape()));
      }
      k = b.dim(0);
      n = b.dim(1);
      m = (int) (a.numel() / k);
      int[] shape = a.shape();
      shape[shape.length - 1] = n;
      Tensor y = r.allocate(toString(), shape);
      r.ops.gemm(false, false, m, n, k, 1f, a.buffer(), 0, k, b.buffer(), 0, n, 0f, y.buffer(), 0, n);
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] g = new Tensor[2];
      if (need[0]) { // dA = dy B^T
        g[0] = r.allocate(toString() + " gradient", a.shape());
        r.ops.gemm(false, true, m, k, n, 1f, dy.buffer(), 0, n, b.buffer(), 0, n, 0f,
            g[0].buffer(), 0, k);
      }
      if (need[1]) { // dB = A^T dy
        g[1] = r.allocate(toString() + " gradient", b.shape());
        r.ops.gemm(true, false, k, n, m, 1f, a.buffer(), 0, k, dy.buffer(), 0, n, 0f,
            g[1].buffer(), 0, n);
      }
      return g;
    }
  }
}
