package io.zbmd.ml.nn;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorSlot;
import java.util.SplittableRandom;

/**
 * PyTorch's {@code nn.Dropout}: in training, each value is zeroed with probability {@code p} and
 * the others scaled by {@code 1 / (1 - p)}; in evaluation (or with {@code p = 0}), the identity.
 *
 * <p>The mask is drawn on the host from a {@link SplittableRandom} and uploaded (the SPI has no
 * random-number op). Mask number {@code k} comes from a generator derived from {@code (seed, k)}
 * alone, so a run is reproducible, and {@link #masksDrawn()} / {@link #setMasksDrawn} are all the
 * state a checkpoint needs to resume the same sequence of masks.
 *
 * <pre>{@code
 * Dropout drop = new Dropout(alloc, 0.5, seed);
 * Tensor h = drop.forward(ops, x, true);     // training: masked and scaled
 * Tensor same = drop.forward(ops, x, false); // evaluation: x's values
 * }</pre>
 */
public final class Dropout implements Module {
  /** The key of {@link #masksDrawn()} in {@link #rngState()}. */
  public static final String MASKS_DRAWN = "masks_drawn";

  private final double p;
  private final long seed;
  private final float keepScale;
  private final TensorSlot mask;
  private final TensorSlot output;
  private final TensorSlot gradInput;
  private final Retained identityOutput = new Retained();
  private final Retained identityGrad = new Retained();
  private long masksDrawn;
  private int[] outputShape;
  private boolean masked;
  private boolean closed;

  /**
   * @param p probability of zeroing a value, in {@code [0, 1]}
   * @param seed seed of the mask sequence
   */
  public Dropout(Allocator alloc, double p, long seed) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(
          "dropout probability has to be between 0 and 1, but got " + p);
    }
    this.p = p;
    this.seed = seed;
    // As PyTorch: the kept values are multiplied by 1 / (1 - p) computed in float.
    this.keepScale = p == 1 ? 0f : 1f / (float) (1 - p);
    this.mask = new TensorSlot(alloc, DType.FLOAT32, "Dropout.mask");
    this.output = new TensorSlot(alloc, DType.FLOAT32, "Dropout.output");
    this.gradInput = new TensorSlot(alloc, DType.FLOAT32, "Dropout.gradInput");
  }

  public double p() {
    return p;
  }

  public long seed() {
    return seed;
  }

  @Override
  public java.util.Map<String, Long> rngState() {
    return java.util.Map.of(MASKS_DRAWN, masksDrawn);
  }

  @Override
  public void restoreRngState(java.util.Map<String, Long> state) {
    Long n = state.get(MASKS_DRAWN);
    if (n != null) {
      setMasksDrawn(n);
    }
  }

  /** How many masks training passes have drawn: the generator's position. */
  public long masksDrawn() {
    return masksDrawn;
  }

  /** Moves the generator so that the next training pass draws mask number {@code n}. */
  public void setMasksDrawn(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("masks drawn must be >= 0, got " + n);
    }
    masksDrawn = n;
  }

  @Override
  public Tensor forward(Ops ops, Tensor x, boolean training) {
    checkOpen();
    Shapes.requireFloat(this, "input", x);
    outputShape = x.shape();
    masked = training && p > 0;
    if (!masked) {
      return identityOutput.hold(x);
    }
    int n = Shapes.toInt(this, x.numel());
    Tensor m = mask.get(outputShape);
    m.fromHost(ops, drawMask(n));
    Tensor y = output.get(outputShape);
    ops.binary(BinaryOp.MUL, x.buffer(), m.buffer(), y.buffer(), 1, n, Broadcast.NONE);
    return y;
  }

  @Override
  public Tensor backward(Ops ops, Tensor dy, boolean inputGrad) {
    checkOpen();
    if (outputShape == null) {
      throw Shapes.noForward(this);
    }
    if (!dy.hasShape(outputShape) || dy.dtype() != DType.FLOAT32) {
      throw Shapes.mismatch(this, "output gradient", Tensor.shapeString(outputShape), dy);
    }
    if (!inputGrad) {
      return null;
    }
    if (!masked) {
      return identityGrad.hold(dy);
    }
    Tensor dx = gradInput.get(outputShape);
    ops.binary(
        BinaryOp.MUL,
        dy.buffer(),
        mask.current().buffer(),
        dx.buffer(),
        1,
        Shapes.toInt(this, dy.numel()),
        Broadcast.NONE);
    return dx;
  }

  private float[] drawMask(int n) {
    // A fresh array every time: the SPI does not promise that an upload has read the array when
    // copyFromHost returns.
    float[] hostMask = new float[n];
    // A generator per mask, seeded by a hash of (seed, mask number): masks are independent of
    // how many values earlier masks had, so a resume needs only the count.
    SplittableRandom rng = new SplittableRandom(new SplittableRandom(seed + masksDrawn).nextLong());
    masksDrawn++;
    for (int i = 0; i < n; i++) {
      hostMask[i] = rng.nextDouble() < p ? 0f : keepScale;
    }
    return hostMask;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    mask.close();
    output.close();
    gradInput.close();
    identityOutput.close();
    identityGrad.close();
  }

  private void checkOpen() {
    if (closed) {
      throw Shapes.closed(this);
    }
  }

  @Override
  public String toString() {
    return "Dropout(p=" + p + ")";
  }
}
