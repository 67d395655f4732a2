package io.zbmd.ml.actor;

import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Dataset;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Gaussian blobs around one random centre per class: separable, but not trivially. */
final class Blobs {
  static final int FEATURES = 10;
  static final int CLASSES = 3;

  final float[] x;
  final int[] y;
  final int n;

  Blobs(long seed, int n) {
    this.n = n;
    SplittableRandom rnd = new SplittableRandom(seed);
    SplittableRandom centres = new SplittableRandom(1234);
    float[][] c = new float[CLASSES][FEATURES];
    for (float[] row : c) {
      for (int j = 0; j < FEATURES; j++) {
        row[j] = (float) (centres.nextDouble() * 2 - 1);
      }
    }
    x = new float[n * FEATURES];
    y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(CLASSES);
      for (int j = 0; j < FEATURES; j++) {
        x[i * FEATURES + j] = c[y[i]][j] + (float) (0.35 * gaussian(rnd));
      }
    }
  }

  /** Samples {@code from} to {@code from + size} as a batch. */
  Batch batch(int from, int size, int index) {
    return new Batch(
        Arrays.copyOfRange(x, from * FEATURES, (from + size) * FEATURES),
        Arrays.copyOfRange(y, from, from + size),
        size,
        0,
        index);
  }

  /** All samples as a dataset of 1 x FEATURES "images". */
  Dataset dataset() {
    return new Dataset(x, y, 1, FEATURES);
  }

  private static double gaussian(SplittableRandom rnd) {
    return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble()))
        * Math.cos(2 * Math.PI * rnd.nextDouble());
  }
}
