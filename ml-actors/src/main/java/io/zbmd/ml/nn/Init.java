package io.zbmd.ml.nn;

import java.util.SplittableRandom;

/**
 * PyTorch's default initialisations ({@code torch.nn.init}), drawn on the host from a caller's
 * seeded generator so that the same seed gives the same weights, bit for bit.
 *
 * <pre>{@code
 * SplittableRandom rng = new SplittableRandom(42);
 * float[] w = Init.uniform(rng, 128 * 784, Init.defaultBound(784)); // what Linear(784, 128) draws
 * }</pre>
 */
public final class Init {
  private Init() {}

  /**
   * The bound of PyTorch's default {@code Linear}/{@code Conv2d} initialisation: {@code
   * kaiming_uniform_(a=sqrt(5))} gives {@code gain * sqrt(3 / fan_in)} with {@code gain = sqrt(2 /
   * (1 + 5))}, which is {@code 1 / sqrt(fan_in)}; the bias uses the same bound.
   */
  public static double defaultBound(int fanIn) {
    if (fanIn <= 0) {
      throw new IllegalArgumentException("fan_in must be > 0, got " + fanIn);
    }
    return 1.0 / Math.sqrt(fanIn);
  }

  /** {@code n} values uniform in {@code [-bound, bound)}, as {@code uniform_(-bound, bound)}. */
  public static float[] uniform(SplittableRandom rng, int n, double bound) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (-bound + 2 * bound * rng.nextDouble());
    }
    return v;
  }
}
