package io.zbmd.ml.data;

/**
 * The sample order of one epoch, a function of (seed, epoch) alone: resuming at epoch 7 needs no
 * replay of epochs 0 to 6. SplitMix64 and Fisher–Yates are written out here instead of borrowing
 * {@code java.util.Random} or {@code SplittableRandom}, so the order is ours to keep stable across
 * JDKs — a checkpoint taken on one must resume identically on another.
 */
final class EpochPermutation {
  private EpochPermutation() {}

  static int[] of(int size, long seed, int epoch) {
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    long state = mix(seed ^ mix(0x9E3779B97F4A7C15L * (epoch + 1L)));
    for (int i = size - 1; i > 0; i--) {
      // Unbiased draw in [0, i]: reject the top sliver of 32-bit values that would favour low j.
      long bound = i + 1L;
      long limit = (1L << 32) - (1L << 32) % bound;
      long x;
      do {
        state += 0x9E3779B97F4A7C15L;
        x = mix(state) >>> 32;
      } while (x >= limit);
      int j = (int) (x % bound);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** SplitMix64's finaliser (Steele, Lea, Flood 2014). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
