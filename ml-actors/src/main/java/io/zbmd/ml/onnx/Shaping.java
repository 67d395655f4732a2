package io.zbmd.ml.onnx;

import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Operators that move or relabel values: views (Flatten, Reshape, Unsqueeze, Squeeze, Identity,
 * Dropout at inference), copies (Transpose, Concat), and the host-side shape arithmetic {@code
 * torch.onnx.export} emits for a dynamic batch (Shape, Gather, Cast, Concat of int64s).
 */
final class Shaping {
  private Shaping() {}

  /** A relabelling of the same values: the output is a view, the gradient a view of dy. */
  abstract static class View extends Node {
    private int[] inShape;

    View(NodeProto def, int opset) {
      super(def, opset);
    }

    abstract int[] shape(int[] in, Value[] inputs);

    @Override
    final Value forward(Run r, Value[] in) {
      Value v = in[0];
      int[] out = shape(v.dims(), in);
      if (Tensor.numel(out) != Tensor.numel(v.dims())) {
        throw bad("cannot view " + Tensor.shapeString(v.dims()) + " as " + Tensor.shapeString(out));
      }
      if (v.onHost()) {
        return Value.ints(v.ints(), out);
      }
      inShape = v.tensor().shape();
      return Value.of(v.tensor().view(out));
    }

    @Override
    final Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] g = new Tensor[need.length];
      if (need[0]) {
        g[0] = dy.view(inShape);
      }
      return g;
    }
  }

  /** Identity, and Dropout at inference (its only output; a mask output is refused). */
  static final class Identity extends View {
    Identity(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    int[] shape(int[] in, Value[] inputs) {
      return in;
    }
  }

  static final class Flatten extends View {
    Flatten(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    int[] shape(int[] in, Value[] inputs) {
      int rank = in.length;
      long a = attrInt("axis", 1);
      int axis = (int) (a < 0 ? a + rank : a);
      if (axis < 0 || axis > rank) {
        throw bad("axis " + a + " out of range for rank " + rank);
      }
      long outer = Tensor.numel(Arrays.copyOfRange(in, 0, axis));
      long inner = Tensor.numel(in) / outer;
      return new int[] {(int) outer, (int) inner};
    }
  }

  /** Reshape to a host shape: 0 keeps the input's dimension, -1 takes what is left. */
  static final class Reshape extends View {
    Reshape(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    int[] shape(int[] in, Value[] inputs) {
      long[] s = opset >= 5 ? host(inputs[1], 1) : attrInts("shape").stream().mapToLong(Long::longValue).toArray();
      int[] out = new int[s.length];
      int infer = -1;
      long known = 1;
      for (int i = 0; i < s.length; i++) {
        long d = s[i];
        if (d == 0 && attrInt("allowzero", 0) == 0) {
          if (i >= in.length) {
            throw bad("shape " + Arrays.toString(s) + " copies dimension " + i + " of " + Tensor.shapeString(in));
          }
          d = in[i];
        }
        if (d == -1) {
          if (infer >= 0) {
            throw bad("shape " + Arrays.toString(s) + " has two -1");
          }
          infer = i;
          continue;
        }
        if (d <= 0 || d > Integer.MAX_VALUE) {
          throw bad("shape " + Arrays.toString(s) + " has dimension " + d);
        }
        out[i] = (int) d;
        known *= d;
        if (known > Run.MAX_ELEMENTS) {
          throw bad("shape " + Arrays.toString(s) + " is absurd");
        }
      }
      if (infer >= 0) {
        long total = Tensor.numel(in);
        if (known == 0 || total % known != 0) {
          throw bad("cannot reshape " + Tensor.shapeString(in) + " to " + Arrays.toString(s));
        }
        out[infer] = (int) (total / known);
      }
      return out;
    }
  }

  /** Unsqueeze (axes an attribute before opset 13, an input from 13) and Squeeze. */
  static final class Unsqueeze extends View {
    private final boolean squeeze;

    Unsqueeze(NodeProto def, int opset) {
      super(def, opset);
      this.squeeze = def.getOpType().equals("Squeeze");
    }

    @Override
    int[] shape(int[] in, Value[] inputs) {
      long[] axes = opset >= 13
          ? (inputs.length > 1 && inputs[1] != null ? host(inputs[1], 1) : null)
          : (attrInts("axes") == null ? null : attrInts("axes").stream().mapToLong(Long::longValue).toArray());
      List<Integer> out = new ArrayList<>();
      for (int d : in) {
        out.add(d);
      }
      if (squeeze) {
        if (axes == null) {
          out.removeIf(d -> d == 1);
        } else {
          boolean[] drop = new boolean[in.length];
          for (long a : axes) {
            int ax = axis(a, in.length, this);
            if (in[ax] != 1) {
              throw bad("cannot squeeze dimension " + ax + " of " + Tensor.shapeString(in));
            }
            drop[ax] = true;
          }
          out.clear();
          for (int i = 0; i < in.length; i++) {
            if (!drop[i]) {
              out.add(in[i]);
            }
          }
        }
      } else {
        if (axes == null) {
          throw bad("no axes");
        }
        int rank = in.length + axes.length;
        long[] sorted = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
          sorted[i] = axis(axes[i], rank, this);
        }
        Arrays.sort(sorted);
        for (long a : sorted) {
          out.add((int) a, 1);
        }
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /** The input's dimensions as int64s on the host (opset 15's start/end honoured). */
  static final class Shape extends Node {
    Shape(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    boolean differentiable() {
      return false;
    }

    @Override
    Value forward(Run r, Value[] in) {
      int[] d = in[0].dims();
      int start = (int) clamp(attrInt("start", 0), d.length);
      int end = (int) clamp(attrInt("end", d.length), d.length);
      long[] v = new long[Math.max(0, end - start)];
      for (int i = start; i < end; i++) {
        v[i - start] = d[i];
      }
      return Value.ints(v, v.length);
    }

    private static long clamp(long a, int rank) {
      long x = a < 0 ? a + rank : a;
      return Math.max(0, Math.min(rank, x));
    }
  }

  /** Gather of host int64s along axis 0 (picking a dimension out of a Shape). */
  static final class Gather extends Node {
    Gather(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    boolean differentiable() {
      return false;
    }

    @Override
    Value forward(Run r, Value[] in) {
      if (!in[0].onHost()) {
        throw bad("Gather of a device tensor (an embedding) is not supported; only of shapes");
      }
      long[] data = in[0].ints();
      int[] dshape = in[0].hostShape();
      if (dshape.length != 1 || attrInt("axis", 0) != 0) {
        throw bad("only 1-d int64 data along axis 0 is supported");
      }
      long[] idx = host(in[1], 1);
      long[] v = new long[idx.length];
      for (int i = 0; i < idx.length; i++) {
        long j = idx[i] < 0 ? idx[i] + data.length : idx[i];
        if (j < 0 || j >= data.length) {
          throw bad("index " + idx[i] + " out of range for " + data.length + " values");
        }
        v[i] = data[(int) j];
      }
      return Value.ints(v, in[1].hostShape());
    }
  }

  /** Cast between the int types of shape arithmetic (or float to float): values unchanged. */
  static final class Cast extends View {
    Cast(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    int[] shape(int[] in, Value[] inputs) {
      long to = attrInt("to", 0);
      boolean host = inputs[0].onHost();
      if (host ? to != 6 && to != 7 : to != 1) {
        throw bad("cast of " + (host ? "an int64" : "a float") + " tensor to type " + to
            + " is not supported");
      }
      return in;
    }
  }

  /** Transpose by copying runs of the trailing dimensions the permutation keeps in place. */
  static final class Transpose extends Node {
    static final long MAX_COPIES = 1 << 16;
    private int[] perm;
    private int[] inShape;

    Transpose(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      Tensor x = device(in[0], 0);
      int rank = x.rank();
      perm = new int[rank];
      List<Long> p = attrInts("perm");
      boolean[] seen = new boolean[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = p == null ? rank - 1 - i : axis(p.get(i), rank, this);
        if (p != null && p.size() != rank || seen[perm[i]]) {
          throw bad("perm " + p + " is not a permutation of " + rank + " axes");
        }
        seen[perm[i]] = true;
      }
      inShape = x.shape();
      return Value.of(permute(r, x, perm));
    }

    private Tensor permute(Run r, Tensor x, int[] perm) {
      int rank = perm.length;
      int[] s = x.shape();
      int[] out = new int[rank];
      for (int i = 0; i < rank; i++) {
        out[i] = s[perm[i]];
      }
      int keep = rank;
      while (keep > 0 && perm[keep - 1] == keep - 1) {
        keep--;
      }
      long run = Tensor.numel(Arrays.copyOfRange(s, keep, rank));
      long copies = x.numel() / run;
      if (copies > MAX_COPIES) {
        throw bad("permutation " + Arrays.toString(perm) + " of " + Tensor.shapeString(s)
            + " moves the innermost dimensions: " + copies + " copies, more than " + MAX_COPIES);
      }
      long[] inStride = new long[rank];
      long st = 1;
      for (int i = rank - 1; i >= 0; i--) {
        inStride[i] = st;
        st *= s[i];
      }
      Tensor y = r.allocate(toString(), out);
      int[] idx = new int[keep];
      for (long c = 0; c < copies; c++) {
        long src = 0;
        for (int i = 0; i < keep; i++) {
          src += idx[i] * inStride[perm[i]];
        }
        r.ops.copy(x.buffer(), src, y.buffer(), c * run, run);
        for (int i = keep - 1; i >= 0; i--) {
          if (++idx[i] < out[i]) {
            break;
          }
          idx[i] = 0;
        }
      }
      return y;
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      if (!need[0]) {
        return new Tensor[1];
      }
      int[] inverse = new int[perm.length];
      for (int i = 0; i < perm.length; i++) {
        inverse[perm[i]] = i;
      }
      Tensor g = permute(r, dy, inverse);
      if (!g.hasShape(inShape)) {
        throw new IllegalStateException(this + ": inverse permutation gave the wrong shape");
      }
      return new Tensor[] {g};
    }
  }

  /** Concat of device tensors by block copies, or of host int64s (building a shape). */
  static final class Concat extends Node {
    private int[][] shapes;
    private int axis;

    Concat(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      boolean host = in[0].onHost();
      int rank = in[0].dims().length;
      axis = axis(attrInt("axis", 0), rank, this);
      shapes = new int[in.length][];
      int[] out = in[0].dims();
      out[axis] = 0;
      for (int i = 0; i < in.length; i++) {
        if (in[i] == null || in[i].onHost() != host) {
          throw bad("mixes host and device inputs");
        }
        shapes[i] = in[i].dims();
        for (int d = 0; d < rank; d++) {
          if (d != axis && shapes[i].length == rank && shapes[i][d] != in[0].dims()[d] || shapes[i].length != rank) {
            throw bad("input " + i + " of shape " + Tensor.shapeString(shapes[i])
                + " does not fit input 0 of shape " + Tensor.shapeString(in[0].dims()));
          }
        }
        out[axis] = Math.addExact(out[axis], shapes[i][axis]);
      }
      if (host) {
        if (rank != 1) {
          throw bad("host int64 concat of rank " + rank);
        }
        long[] v = new long[out[0]];
        int at = 0;
        for (Value x : in) {
          System.arraycopy(x.ints(), 0, v, at, x.ints().length);
          at += x.ints().length;
        }
        return Value.ints(v, out);
      }
      Tensor y = r.allocate(toString(), out);
      long outer = Tensor.numel(Arrays.copyOfRange(out, 0, axis));
      long inner = Tensor.numel(Arrays.copyOfRange(out, axis + 1, rank));
      checkCopies(outer * in.length);
      long at = 0;
      for (int i = 0; i < in.length; i++) {
        long block = shapes[i][axis] * inner;
        for (long o = 0; o < outer; o++) {
          r.ops.copy(in[i].tensor().buffer(), o * block, y.buffer(), o * out[axis] * inner + at, block);
        }
        at += block;
      }
      return Value.of(y);
    }

    private void checkCopies(long copies) {
      if (copies > Transpose.MAX_COPIES) {
        throw bad(copies + " block copies, more than " + Transpose.MAX_COPIES);
      }
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] g = new Tensor[shapes.length];
      int[] out = dy.shape();
      long outer = Tensor.numel(Arrays.copyOfRange(out, 0, axis));
      long inner = Tensor.numel(Arrays.copyOfRange(out, axis + 1, out.length));
      long at = 0;
      for (int i = 0; i < shapes.length; i++) {
        long block = shapes[i][axis] * inner;
        if (need[i]) {
          g[i] = r.allocate(toString() + " gradient", shapes[i]);
          for (long o = 0; o < outer; o++) {
            r.ops.copy(dy.buffer(), o * out[axis] * inner + at, g[i].buffer(), o * block, block);
          }
        }
        at += block;
      }
      return g;
    }
  }
}
