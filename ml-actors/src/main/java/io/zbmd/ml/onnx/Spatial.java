package io.zbmd.ml.onnx;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;

/** Operators over NCHW images: Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization. */
final class Spatial {
  private Spatial() {}

  /** Kernel, strides and symmetric pads of a 2-d window, read and checked once. */
  record Window(int kh, int kw, int sh, int sw, int ph, int pw) {
    static Window of(Node n, int[] kernel) {
      int[] strides = n.intsAttr("strides", 2, 1, 1, 1 << 16);
      int[] pads = n.intsAttr("pads", 4, 0, 0, 1 << 16);
      int[] dil = n.intsAttr("dilations", 2, 1, 1, 1 << 16);
      String auto = n.attrString("auto_pad", "NOTSET");
      if (!auto.equals("NOTSET") && !auto.equals("VALID")) {
        throw n.bad("auto_pad " + auto + " is not supported (export with explicit pads)");
      }
      if (pads[0] != pads[2] || pads[1] != pads[3]) {
        throw n.bad("asymmetric pads " + Arrays.toString(pads) + " are not supported");
      }
      if (dil[0] != 1 || dil[1] != 1) {
        throw n.bad("dilations " + Arrays.toString(dil) + " are not supported");
      }
      if (n.attrInt("ceil_mode", 0) != 0) {
        throw n.bad("ceil_mode 1 is not supported");
      }
      return new Window(kernel[0], kernel[1], strides[0], strides[1], pads[0], pads[1]);
    }

    ConvGeometry geometry(Node n, int channels, int h, int w) {
      try {
        return new ConvGeometry(channels, h, w, kh, kw, sh, sw, ph, pw);
      } catch (IllegalArgumentException e) {
        throw n.bad("input " + h + "x" + w + ": " + e.getMessage());
      }
    }
  }

  static Tensor image(Node n, Value v) {
    Tensor x = n.device(v, 0);
    if (x.rank() != 4) {
      throw n.bad("needs an NCHW input, got " + Tensor.shapeString(x.shape()));
    }
    return x;
  }

  /** Conv with groups, strides and symmetric pads: im2col per image and group, then a gemm. */
  static final class Conv extends Node {
    private Tensor x;
    private Tensor w;
    private Tensor bias;
    private Tensor cols;
    private ConvGeometry geo;
    private int groups;

    Conv(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      x = image(this, in[0]);
      w = device(in[1], 1);
      bias = in.length > 2 && in[2] != null ? device(in[2], 2) : null;
      groups = intAttr("group", 1, 1, 1 << 16);
      int c = x.dim(1);
      if (w.rank() != 4 || c % groups != 0 || w.dim(1) != c / groups || w.dim(0) % groups != 0) {
        throw bad("weight " + Tensor.shapeString(w.shape()) + " does not fit input "
            + Tensor.shapeString(x.shape()) + " with " + groups + " groups");
      }
      if (bias != null && !bias.hasShape(w.dim(0))) {
        throw bad("bias " + Tensor.shapeString(bias.shape()) + " for " + w.dim(0) + " channels");
      }
      int[] kernel = intsAttr("kernel_shape", 2, 0, 1, 1 << 16);
      if (attrInts("kernel_shape") == null) {
        kernel = new int[] {w.dim(2), w.dim(3)};
      }
      if (kernel[0] != w.dim(2) || kernel[1] != w.dim(3)) {
        throw bad("kernel_shape " + Arrays.toString(kernel) + " differs from the weight's");
      }
      Window win = Window.of(this, kernel);
      geo = win.geometry(this, c / groups, x.dim(2), x.dim(3));
      int n = x.dim(0);
      int o = w.dim(0);
      int og = o / groups;
      int kg = Run.toInt(toString(), (long) geo.channels() * win.kh() * win.kw());
      int p = Run.toInt(toString(), (long) geo.outHeight() * geo.outWidth());
      cols = keep(r.allocate(toString() + " columns", n, groups, kg, p));
      for (int i = 0; i < n; i++) {
        for (int g = 0; g < groups; g++) {
          r.ops.im2col(x.buffer(), (long) i * c * x.dim(2) * x.dim(3) + g * geo.imageSize(), geo,
              cols.buffer(), ((long) i * groups + g) * kg * p);
        }
      }
      Tensor y = r.allocate(toString(), n, o, geo.outHeight(), geo.outWidth());
      for (int g = 0; g < groups; g++) {
        r.ops.gemmStridedBatched(false, false, og, p, kg, 1f, w.buffer(), (long) g * og * kg, kg, 0,
            cols.buffer(), (long) g * kg * p, p, (long) groups * kg * p, 0f, y.buffer(),
            (long) g * og * p, p, (long) o * p, n);
      }
      if (bias != null) {
        Bcast.of(toString(), y.shape(), new int[] {o, 1, 1}).apply(r, BinaryOp.ADD, y, bias, y);
      }
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] grads = new Tensor[3];
      int n = x.dim(0);
      int o = w.dim(0);
      int og = o / groups;
      int kg = (int) (w.numel() / o);
      int p = geo.outHeight() * geo.outWidth();
      if (need[1]) {
        Tensor dw = r.zeros(toString() + " gradient", w.shape());
        for (int i = 0; i < n; i++) {
          for (int g = 0; g < groups; g++) {
            r.ops.gemm(false, true, og, kg, p, 1f, dy.buffer(), ((long) i * o + (long) g * og) * p,
                p, cols.buffer(), ((long) i * groups + g) * kg * p, p, 1f, dw.buffer(),
                (long) g * og * kg, kg);
          }
        }
        grads[1] = dw;
      }
      if (need.length > 2 && need[2] && bias != null) {
        Tensor db = Bcast.of(toString(), dy.shape(), new int[] {o, 1, 1}).reduce(r, dy);
        grads[2] = db.view(o);
        db.release();
      }
      if (need[0]) {
        Tensor dc = r.allocate(toString() + " gradient columns", n, groups, kg, p);
        for (int g = 0; g < groups; g++) {
          r.ops.gemmStridedBatched(true, false, kg, p, og, 1f, w.buffer(), (long) g * og * kg, kg,
              0, dy.buffer(), (long) g * og * p, p, (long) o * p, 0f, dc.buffer(),
              (long) g * kg * p, p, (long) groups * kg * p, n);
        }
        Tensor dx = r.zeros(toString() + " gradient", x.shape());
        int c = x.dim(1);
        for (int i = 0; i < n; i++) {
          for (int g = 0; g < groups; g++) {
            r.ops.col2im(dc.buffer(), ((long) i * groups + g) * kg * p, geo, dx.buffer(),
                (long) i * c * x.dim(2) * x.dim(3) + g * geo.imageSize());
          }
        }
        dc.release();
        grads[0] = dx;
      }
      return grads;
    }
  }

  /** MaxPool with a square kernel, equal strides and no padding (the primitive's geometry). */
  static final class MaxPool extends Node {
    private PoolGeometry geo;
    private Tensor indices;
    private int[] inShape;

    MaxPool(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      Tensor x = image(this, in[0]);
      int[] kernel = intsAttr("kernel_shape", 2, 1, 1, 1 << 16);
      Window win = Window.of(this, kernel);
      if (win.kh() != win.kw() || win.sh() != win.sw() || win.ph() != 0 || win.pw() != 0) {
        throw bad("only square kernels, equal strides and no padding are supported, got " + win);
      }
      if (x.dim(2) < win.kh() || x.dim(3) < win.kh()) {
        throw bad("input " + Tensor.shapeString(x.shape()) + " smaller than the kernel");
      }
      geo = new PoolGeometry(Run.toInt(toString(), (long) x.dim(0) * x.dim(1)), x.dim(2), x.dim(3),
          win.kh(), win.sh());
      Tensor y = r.allocate(toString(), x.dim(0), x.dim(1), geo.outHeight(), geo.outWidth());
      indices = keep(Tensor.allocate(r.alloc, toString() + " indices", DType.INT32, y.shape()));
      r.ops.maxPoolForward(x.buffer(), y.buffer(), indices.buffer(), geo);
      inShape = x.shape();
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      if (!need[0]) {
        return new Tensor[1];
      }
      Tensor dx = r.allocate(toString() + " gradient", inShape);
      r.ops.maxPoolBackward(dy.buffer(), indices.buffer(), dx.buffer(), geo);
      return new Tensor[] {dx};
    }
  }

  /**
   * AveragePool: im2col per image, then each window's mean as a batched product with a row of
   * ones; with padding and {@code count_include_pad = 0}, divided by the real cells per window.
   */
  static final class AveragePool extends Node {
    private ConvGeometry geo;
    private Tensor ones;
    private Tensor counts;
    private int[] inShape;

    AveragePool(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      Tensor x = image(this, in[0]);
      Window win = Window.of(this, intsAttr("kernel_shape", 2, 1, 1, 1 << 16));
      int n = x.dim(0);
      int c = x.dim(1);
      geo = win.geometry(this, c, x.dim(2), x.dim(3));
      int kk = win.kh() * win.kw();
      int p = geo.outHeight() * geo.outWidth();
      int planes = Run.toInt(toString(), (long) n * c);
      Tensor cols = r.allocate(toString() + " columns", n, c, kk, p);
      for (int i = 0; i < n; i++) {
        r.ops.im2col(x.buffer(), i * geo.imageSize(), geo, cols.buffer(), i * geo.columnsSize());
      }
      ones = keep(r.allocate(toString() + " ones", kk)).fill(r.ops, 1f);
      boolean exclude = attrInt("count_include_pad", 0) == 0 && (win.ph() > 0 || win.pw() > 0);
      counts = exclude ? keep(counts(r, win)) : null;
      Tensor y = r.allocate(toString(), n, c, geo.outHeight(), geo.outWidth());
      r.ops.gemmStridedBatched(false, false, 1, p, kk, exclude ? 1f : 1f / kk, ones.buffer(), 0,
          kk, 0, cols.buffer(), 0, p, (long) kk * p, 0f, y.buffer(), 0, p, p, planes);
      cols.release();
      if (exclude) {
        r.ops.binary(BinaryOp.DIV, y.buffer(), counts.buffer(), y.buffer(), planes, p, Broadcast.ROW);
      }
      inShape = x.shape();
      return Value.of(y);
    }

    private Tensor counts(Run r, Window win) {
      float[] v = new float[geo.outHeight() * geo.outWidth()];
      for (int oh = 0; oh < geo.outHeight(); oh++) {
        int h0 = oh * win.sh() - win.ph();
        int hs = Math.min(geo.height(), h0 + win.kh()) - Math.max(0, h0);
        for (int ow = 0; ow < geo.outWidth(); ow++) {
          int w0 = ow * win.sw() - win.pw();
          int ws = Math.min(geo.width(), w0 + win.kw()) - Math.max(0, w0);
          v[oh * geo.outWidth() + ow] = Math.max(1, hs * ws);
        }
      }
      return r.allocate(toString() + " counts", v.length).fromHost(r.ops, v);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      if (!need[0]) {
        return new Tensor[1];
      }
      int kk = (int) ones.numel();
      int p = geo.outHeight() * geo.outWidth();
      int planes = inShape[0] * inShape[1];
      Tensor g = dy;
      if (counts != null) {
        g = r.allocate(toString(), dy.shape());
        r.ops.binary(BinaryOp.DIV, dy.buffer(), counts.buffer(), g.buffer(), planes, p, Broadcast.ROW);
      }
      Tensor dc = r.allocate(toString() + " gradient columns", planes, kk, p);
      r.ops.gemmStridedBatched(false, false, kk, p, 1, counts != null ? 1f : 1f / kk,
          ones.buffer(), 0, 1, 0, g.buffer(), 0, p, p, 0f, dc.buffer(), 0, p, (long) kk * p, planes);
      if (g != dy) {
        g.release();
      }
      Tensor dx = r.zeros(toString() + " gradient", inShape);
      for (int i = 0; i < inShape[0]; i++) {
        r.ops.col2im(dc.buffer(), i * geo.columnsSize(), geo, dx.buffer(), i * geo.imageSize());
      }
      dc.release();
      return new Tensor[] {dx};
    }
  }

  /** The mean of each plane: [N, C, H, W] to [N, C, 1, 1]. */
  static final class GlobalAveragePool extends Node {
    private int[] inShape;

    GlobalAveragePool(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      Tensor x = device(in[0], 0);
      if (x.rank() < 3) {
        throw bad("needs [N, C, spatial...], got " + Tensor.shapeString(x.shape()));
      }
      inShape = x.shape();
      int[] out = x.shape();
      Arrays.fill(out, 2, out.length, 1);
      Tensor y = r.allocate(toString(), out);
      int planes = x.dim(0) * x.dim(1);
      r.ops.reduce(ReduceOp.MEAN, x.buffer(), y.buffer(), planes, (int) (x.numel() / planes), 1);
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      if (!need[0]) {
        return new Tensor[1];
      }
      Tensor dx = r.zeros(toString() + " gradient", inShape);
      int planes = inShape[0] * inShape[1];
      int cells = (int) (dx.numel() / planes);
      r.ops.binary(BinaryOp.ADD, dx.buffer(), dy.buffer(), dx.buffer(), planes, cells,
          Broadcast.COLUMN);
      r.ops.affine(dx.buffer(), dx.buffer(), dx.numel(), 1f / cells, 0f);
      return new Tensor[] {dx};
    }
  }

  /**
   * BatchNormalization with the running statistics (inference, as a model in {@code eval()}):
   * {@code y = (x - mean) / sqrt(var + eps) * scale + B}; fine-tuning learns scale and B.
   */
  static final class BatchNorm extends Node {
    private Tensor x;
    private Tensor mean;
    private Tensor inv;
    private Tensor s;
    private int[] ch;

    BatchNorm(NodeProto def, int opset) {
      super(def, opset);
    }

    @Override
    Value forward(Run r, Value[] in) {
      if (attrInt("training_mode", 0) != 0) {
        throw bad("training_mode 1 is not supported (export the model in eval mode)");
      }
      x = device(in[0], 0);
      if (x.rank() < 2) {
        throw bad("needs [N, C, ...], got " + Tensor.shapeString(x.shape()));
      }
      int c = x.dim(1);
      for (int i = 1; i < 5; i++) {
        if (!device(in[i], i).hasShape(c)) {
          throw bad("input " + i + " has shape " + Tensor.shapeString(in[i].dims()) + ", not [" + c + "]");
        }
      }
      ch = new int[x.rank() - 1];
      Arrays.fill(ch, 1);
      ch[0] = c;
      float eps = attrFloat("epsilon", 1e-5f);
      Tensor scale = in[1].tensor();
      mean = in[3].tensor();
      inv = keep(r.allocate(toString(), c));
      r.ops.affine(in[4].tensor().buffer(), inv.buffer(), c, 1f, eps);
      r.ops.unary(UnaryOp.SQRT, inv.buffer(), inv.buffer(), c);
      r.ops.unary(UnaryOp.RECIPROCAL, inv.buffer(), inv.buffer(), c);
      s = keep(r.allocate(toString(), c));
      r.ops.binary(BinaryOp.MUL, scale.buffer(), inv.buffer(), s.buffer(), 1, c, Broadcast.NONE);
      Tensor shift = r.allocate(toString(), c);
      r.ops.binary(BinaryOp.MUL, mean.buffer(), s.buffer(), shift.buffer(), 1, c, Broadcast.NONE);
      r.ops.binary(BinaryOp.SUB, in[2].tensor().buffer(), shift.buffer(), shift.buffer(), 1, c,
          Broadcast.NONE);
      Tensor y = r.allocate(toString(), x.shape());
      Bcast bc = Bcast.of(toString(), x.shape(), ch);
      bc.apply(r, BinaryOp.MUL, x, s, y);
      bc.apply(r, BinaryOp.ADD, y, shift, y);
      shift.release();
      return Value.of(y);
    }

    @Override
    Tensor[] backward(Run r, Tensor dy, boolean[] need) {
      Tensor[] g = new Tensor[5];
      String w = toString();
      int c = ch[0];
      if (need[0]) {
        g[0] = Elementwise.apply(r, BinaryOp.MUL, dy, as(s, ch), w);
      }
      if (need[1]) {
        Tensor xm = Elementwise.apply(r, BinaryOp.SUB, x, as(mean, ch), w);
        Tensor p = Elementwise.apply(r, BinaryOp.MUL, dy, xm, w);
        xm.release();
        Tensor sum = Elementwise.reduceTo(r, p, ch, w);
        p.release();
        r.ops.binary(BinaryOp.MUL, sum.buffer(), inv.buffer(), sum.buffer(), 1, c, Broadcast.NONE);
        g[1] = sum.view(c);
        sum.release();
      }
      if (need[2]) {
        Tensor sum = Elementwise.reduceTo(r, dy, ch, w);
        g[2] = sum.view(c);
        sum.release();
      }
      return g;
    }
  }
}
