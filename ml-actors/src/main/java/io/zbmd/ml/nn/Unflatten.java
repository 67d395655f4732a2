package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;

/**
 * Splits dimension {@code dim} into {@code sizes}, PyTorch's {@code nn.Unflatten}: e.g. the MNIST
 * rows {@code [N, 784]} into images {@code [N, 1, 28, 28]} for a convolution. A view: no copy.
 *
 * <pre>{@code
 * Unflatten toImages = new Unflatten(1, 1, 28, 28);
 * }</pre>
 */
public final class Unflatten extends Reshaping {
  private final int dim;
  private final int[] sizes;
  private final long product;

  public Unflatten(int dim, int... sizes) {
    if (sizes.length == 0) {
      throw new IllegalArgumentException("Unflatten needs at least one size");
    }
    for (int size : sizes) {
      if (size <= 0) {
        throw new IllegalArgumentException(
            "Unflatten sizes must be > 0, got " + Arrays.toString(sizes));
      }
    }
    this.dim = dim;
    this.sizes = sizes.clone();
    this.product = Tensor.numel(sizes);
  }

  @Override
  int[] outputShape(Tensor x) {
    int d = dim < 0 ? dim + x.rank() : dim;
    if (d < 0 || d >= x.rank() || x.dim(d) != product) {
      throw Shapes.mismatch(this, "input", "with dimension " + dim + " of size " + product, x);
    }
    int[] s = x.shape();
    int[] out = new int[s.length - 1 + sizes.length];
    System.arraycopy(s, 0, out, 0, d);
    System.arraycopy(sizes, 0, out, d, sizes.length);
    System.arraycopy(s, d + 1, out, d + sizes.length, s.length - d - 1);
    return out;
  }

  @Override
  public String toString() {
    return "Unflatten(dim=" + dim + ", unflattened_size=" + Arrays.toString(sizes) + ")";
  }
}
