package io.zbmd.ml.nn;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A 2-D convolution, PyTorch's {@code nn.Conv2d} (no dilation, no groups): NCHW inputs {@code [N,
 * in, H, W]}, weight {@code [out, in, kH, kW]}, bias {@code [out]}, zero padding. Computed as
 * im2col of each image then one strided-batched gemm with the weight shared across the batch; the
 * backward pass is a gemm per image for the weight gradient and col2im for the input gradient.
 * Initialised as PyTorch does: uniform in {@code ±1/sqrt(in * kH * kW)}.
 *
 * <pre>{@code
 * Conv2d conv1 = new Conv2d(ops, alloc, 1, 16, 5, rng);        // 5x5, stride 1, no padding
 * Conv2d same = new Conv2d(ops, alloc, 16, 16, 3, 1, 1, rng); // stride 1, padding 1
 * Tensor y = conv1.forward(ops, x, true);                     // [N,1,28,28] -> [N,16,24,24]
 * }</pre>
 */
public final class Conv2d implements Module {
  private final int in;
  private final int out;
  private final int kernelH;
  private final int kernelW;
  private final int strideH;
  private final int strideW;
  private final int padH;
  private final int padW;
  private final Parameter weight;
  private final Parameter bias;
  private final Map<String, Parameter> parameters;
  private final TensorSlot cols;
  private final TensorSlot output;
  private final TensorSlot ones;
  private final TensorSlot gradCols;
  private final TensorSlot gradInput;
  private final TensorSlot biasGradPerImage;
  private final TensorSlot biasGrad;
  // The backward pass needs the input's shape only: its values live on in the column matrices.
  private int[] inputShape;
  private ConvGeometry geometry;
  private long onesAllocation = -1;
  private int onesLength;
  private boolean closed;

  /** Square kernel, stride 1, no padding, with bias. */
  public Conv2d(Ops ops, Allocator alloc, int in, int out, int kernel, SplittableRandom rng) {
    this(ops, alloc, in, out, kernel, 1, 0, rng);
  }

  /** Square kernel, the same stride and padding in both directions, with bias. */
  public Conv2d(
      Ops ops,
      Allocator alloc,
      int in,
      int out,
      int kernel,
      int stride,
      int padding,
      SplittableRandom rng) {
    this(ops, alloc, in, out, kernel, kernel, stride, stride, padding, padding, true, rng);
  }

  public Conv2d(
      Ops ops,
      Allocator alloc,
      int in,
      int out,
      int kernelH,
      int kernelW,
      int strideH,
      int strideW,
      int padH,
      int padW,
      boolean bias,
      SplittableRandom rng) {
    if (in <= 0
        || out <= 0
        || kernelH <= 0
        || kernelW <= 0
        || strideH <= 0
        || strideW <= 0
        || padH < 0
        || padW < 0) {
      throw new IllegalArgumentException(
          String.format(
              "Conv2d needs positive channels, kernel and stride and a padding >= 0, got in=%d"
                  + " out=%d kernel=%dx%d stride=%dx%d padding=%dx%d",
              in, out, kernelH, kernelW, strideH, strideW, padH, padW));
    }
    this.in = in;
    this.out = out;
    this.kernelH = kernelH;
    this.kernelW = kernelW;
    this.strideH = strideH;
    this.strideW = strideW;
    this.padH = padH;
    this.padW = padW;
    int fanIn = Math.multiplyExact(in, Math.multiplyExact(kernelH, kernelW));
    double bound = Init.defaultBound(fanIn);
    this.weight =
        Parameter.of(
            ops,
            alloc,
            "Conv2d.weight",
            Init.uniform(rng, Math.multiplyExact(out, fanIn), bound),
            out,
            in,
            kernelH,
            kernelW);
    try {
      this.bias =
          bias ? Parameter.of(ops, alloc, "Conv2d.bias", Init.uniform(rng, out, bound), out) : null;
    } catch (RuntimeException e) {
      weight.release();
      throw e;
    }
    Map<String, Parameter> p = new LinkedHashMap<>();
    p.put("weight", weight);
    if (bias) {
      p.put("bias", this.bias);
    }
    this.parameters = Collections.unmodifiableMap(p);
    this.cols = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.columns");
    this.output = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.output");
    this.ones = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.ones");
    this.gradCols = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.gradColumns");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.gradInput");
    this.biasGradPerImage = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.biasGradScratch");
    this.biasGrad = new TensorSlot(alloc, DType.FLOAT32, "Conv2d.biasGradScratch");
  }

  @Override
  public Tensor forward(Ops ops, Tensor x, boolean training) {
    checkOpen();
    if (x.rank() != 4 || x.dim(1) != in || x.dtype() != DType.FLOAT32) {
      throw Shapes.mismatch(this, "input", "[N, " + in + ", H, W]", x);
    }
    ConvGeometry g;
    try {
      g = new ConvGeometry(in, x.dim(2), x.dim(3), kernelH, kernelW, strideH, strideW, padH, padW);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          this + ": input " + Tensor.shapeString(x.shape()) + " is too small: " + e.getMessage(),
          e);
    }
    int n = x.dim(0);
    int k = Shapes.toInt(this, (long) in * kernelH * kernelW);
    int positions = Shapes.toInt(this, (long) g.outHeight() * g.outWidth());
    Tensor c = cols.get(n, k, positions);
    long image = g.imageSize();
    for (int i = 0; i < n; i++) {
      ops.im2col(x.buffer(), i * image, g, c.buffer(), i * g.columnsSize());
    }
    Tensor y = output.get(n, out, g.outHeight(), g.outWidth());
    long outImage = (long) out * positions;
    // y[i] = W [out x k] * cols[i] [k x positions], the weight shared (stride 0) by every image.
    ops.gemmStridedBatched(
        false,
        false,
        out,
        positions,
        k,
        1f,
        weight.value().buffer(),
        0,
        k,
        0,
        c.buffer(),
        0,
        positions,
        g.columnsSize(),
        0f,
        y.buffer(),
        0,
        positions,
        outImage,
        n);
    if (bias != null) {
      // y[i] += bias [out x 1] * ones [1 x positions]: a per-channel add as a rank-1 gemm, since
      // the elementwise ops have no offsets to reach image i.
      Tensor o = ones(ops, positions);
      ops.gemmStridedBatched(
          false,
          false,
          out,
          positions,
          1,
          1f,
          bias.value().buffer(),
          0,
          1,
          0,
          o.buffer(),
          0,
          positions,
          0,
          1f,
          y.buffer(),
          0,
          positions,
          outImage,
          n);
    }
    geometry = g;
    inputShape = x.shape();
    return y;
  }

  @Override
  public Tensor backward(Ops ops, Tensor dy, boolean inputGrad) {
    checkOpen();
    if (inputShape == null) {
      throw Shapes.noForward(this);
    }
    Shapes.requireSameShape(this, "output gradient", output.current(), dy);
    ConvGeometry g = geometry;
    int n = inputShape[0];
    int k = in * kernelH * kernelW;
    int positions = g.outHeight() * g.outWidth();
    long outImage = (long) out * positions;
    Tensor c = cols.current();
    // dW += dy[i] [out x positions] * cols[i]^T, image after image into the one accumulator.
    for (int i = 0; i < n; i++) {
      ops.gemm(
          false,
          true,
          out,
          k,
          positions,
          1f,
          dy.buffer(),
          i * outImage,
          positions,
          c.buffer(),
          i * g.columnsSize(),
          positions,
          1f,
          weight.grad().buffer(),
          0,
          k);
    }
    if (bias != null) {
      Tensor perImage = biasGradPerImage.get(n, out);
      ops.reduce(ReduceOp.SUM, dy.buffer(), perImage.buffer(), n * out, positions, 1);
      Tensor db = biasGrad.get(out);
      ops.reduce(ReduceOp.SUM, perImage.buffer(), db.buffer(), n, out, 0);
      ops.binary(
          BinaryOp.ADD,
          bias.grad().buffer(),
          db.buffer(),
          bias.grad().buffer(),
          1,
          out,
          Broadcast.NONE);
    }
    if (!inputGrad) {
      return null;
    }
    Tensor dc = gradCols.get(n, k, positions);
    ops.gemmStridedBatched(
        true,
        false,
        k,
        positions,
        out,
        1f,
        weight.value().buffer(),
        0,
        k,
        0,
        dy.buffer(),
        0,
        positions,
        outImage,
        0f,
        dc.buffer(),
        0,
        positions,
        g.columnsSize(),
        n);
    Tensor dx = gradInput.get(inputShape);
    dx.fill(ops, 0f); // col2im adds
    for (int i = 0; i < n; i++) {
      ops.col2im(dc.buffer(), i * g.columnsSize(), g, dx.buffer(), i * g.imageSize());
    }
    return dx;
  }

  /** A row of ones, filled again only after a reallocation or when it grows. */
  private Tensor ones(Ops ops, int length) {
    Tensor o = ones.get(length);
    if (onesAllocation != ones.allocations() || length > onesLength) {
      o.fill(ops, 1f);
      onesAllocation = ones.allocations();
      onesLength = length;
    }
    return o;
  }

  @Override
  public Map<String, Parameter> parameters() {
    return parameters;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (TensorSlot s :
        new TensorSlot[] {cols, output, ones, gradCols, gradInput, biasGradPerImage, biasGrad}) {
      s.close();
    }
    weight.release();
    if (bias != null) {
      bias.release();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw Shapes.closed(this);
    }
  }

  @Override
  public String toString() {
    return "Conv2d("
        + in
        + ", "
        + out
        + ", kernel_size=("
        + kernelH
        + ", "
        + kernelW
        + "), stride=("
        + strideH
        + ", "
        + strideW
        + "), padding=("
        + padH
        + ", "
        + padW
        + "), bias="
        + (bias != null)
        + ")";
  }
}
