package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;

/**
 * Flattens dimensions {@code startDim..endDim} into one, PyTorch's {@code nn.Flatten} (default: all
 * but the batch dimension, {@code [N, C, H, W] -> [N, C*H*W]} in channel, height, width order). A
 * view: no copy, no allocation.
 *
 * <pre>{@code
 * Flatten flatten = new Flatten();   // [64, 32, 4, 4] -> [64, 512]
 * }</pre>
 */
public final class Flatten extends Reshaping {
  private final int startDim;
  private final int endDim;

  /** From dimension 1 to the last. */
  public Flatten() {
    this(1, -1);
  }

  /** Negative dimensions count from the end. */
  public Flatten(int startDim, int endDim) {
    this.startDim = startDim;
    this.endDim = endDim;
  }

  @Override
  int[] outputShape(Tensor x) {
    int rank = Math.max(x.rank(), 1);
    int start = startDim < 0 ? startDim + rank : startDim;
    int end = endDim < 0 ? endDim + rank : endDim;
    if (start < 0 || end >= rank || start > end) {
      throw Shapes.mismatch(this, "input", "with dimensions " + startDim + ".." + endDim, x);
    }
    if (x.rank() == 0) {
      return new int[] {1};
    }
    int[] s = x.shape();
    int[] out = new int[s.length - (end - start)];
    System.arraycopy(s, 0, out, 0, start);
    out[start] = Math.toIntExact(Tensor.numel(Arrays.copyOfRange(s, start, end + 1)));
    System.arraycopy(s, end + 1, out, start + 1, s.length - end - 1);
    return out;
  }

  @Override
  public String toString() {
    return "Flatten(start_dim=" + startDim + ", end_dim=" + endDim + ")";
  }
}
