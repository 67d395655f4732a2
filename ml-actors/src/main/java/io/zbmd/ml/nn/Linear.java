package io.zbmd.ml.nn;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A fully connected layer, PyTorch's {@code nn.Linear}: {@code y = x w^T + b} with weight {@code
 * [out, in]} and bias {@code [out]}, over inputs {@code [*, in]}. Initialised as PyTorch does: both
 * uniform in {@code ±1/sqrt(in)}, weight first, from the caller's generator.
 *
 * <pre>{@code
 * Linear fc1 = new Linear(ops, alloc, 784, 128, new SplittableRandom(seed));
 * Tensor h = fc1.forward(ops, x, true);       // x [64, 784] -> h [64, 128]
 * Tensor dx = fc1.backward(ops, dh);          // adds to weight.grad and bias.grad
 * }</pre>
 */
public final class Linear implements Module {
  private final int in;
  private final int out;
  private final Parameter weight;
  private final Parameter bias;
  private final Map<String, Parameter> parameters;
  private final TensorSlot output;
  private final TensorSlot gradInput;
  private final TensorSlot biasGrad;
  private final Retained input = new Retained();
  private boolean closed;

  /** With a bias. */
  public Linear(Ops ops, Allocator alloc, int in, int out, SplittableRandom rng) {
    this(ops, alloc, in, out, true, rng);
  }

  public Linear(Ops ops, Allocator alloc, int in, int out, boolean bias, SplittableRandom rng) {
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException(
          "Linear needs in and out features > 0, got " + in + ", " + out);
    }
    this.in = in;
    this.out = out;
    double bound = Init.defaultBound(in);
    this.weight =
        Parameter.of(
            ops,
            alloc,
            "Linear.weight",
            Init.uniform(rng, Math.multiplyExact(in, out), bound),
            out,
            in);
    try {
      this.bias =
          bias ? Parameter.of(ops, alloc, "Linear.bias", Init.uniform(rng, out, bound), out) : null;
    } catch (RuntimeException e) {
      weight.release();
      throw e;
    }
    Map<String, Parameter> p = new LinkedHashMap<>();
    p.put("weight", weight);
    if (bias) {
      p.put("bias", this.bias);
    }
    this.parameters = java.util.Collections.unmodifiableMap(p);
    this.output = new TensorSlot(alloc, DType.FLOAT32, "Linear.output");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "Linear.gradInput");
    this.biasGrad = new TensorSlot(alloc, DType.FLOAT32, "Linear.biasGradScratch");
  }

  public int inFeatures() {
    return in;
  }

  public int outFeatures() {
    return out;
  }

  @Override
  public Tensor forward(Ops ops, Tensor x, boolean training) {
    checkOpen();
    if (x.rank() < 1 || x.dim(-1) != in || x.dtype() != DType.FLOAT32) {
      throw Shapes.mismatch(this, "input", "[*, " + in + "]", x);
    }
    int rows = Shapes.toInt(this, x.numel() / in);
    int[] shape = x.shape();
    shape[shape.length - 1] = out;
    Tensor y = output.get(shape);
    ops.linearForward(
        x.buffer(),
        weight.value().buffer(),
        bias == null ? null : bias.value().buffer(),
        y.buffer(),
        rows,
        in,
        out);
    input.hold(x);
    return y;
  }

  @Override
  public Tensor backward(Ops ops, Tensor dy, boolean inputGrad) {
    checkOpen();
    Tensor x = input.get();
    if (x == null) {
      throw Shapes.noForward(this);
    }
    Shapes.requireSameShape(this, "output gradient", output.current(), dy);
    int rows = Shapes.toInt(this, x.numel() / in);
    // Accumulating (beta = 1), not the linearBackward composite, which overwrites dw.
    ops.gemm(
        true,
        false,
        out,
        in,
        rows,
        1f,
        dy.buffer(),
        0,
        out,
        x.buffer(),
        0,
        in,
        1f,
        weight.grad().buffer(),
        0,
        in);
    if (bias != null) {
      Tensor db = biasGrad.get(out);
      ops.reduce(ReduceOp.SUM, dy.buffer(), db.buffer(), rows, out, 0);
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
    Tensor dx = gradInput.get(x.shape());
    ops.gemm(
        false,
        false,
        rows,
        in,
        out,
        1f,
        dy.buffer(),
        0,
        out,
        weight.value().buffer(),
        0,
        in,
        0f,
        dx.buffer(),
        0,
        in);
    return dx;
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
    input.close();
    output.close();
    gradInput.close();
    biasGrad.close();
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
    return "Linear(in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null) + ")";
  }
}
