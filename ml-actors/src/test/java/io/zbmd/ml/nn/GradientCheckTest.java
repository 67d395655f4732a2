package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every layer and loss against central differences (see {@link GradientCheckSupport}). */
class GradientCheckTest extends GradientCheckSupport {
  private static final Runnable NOTHING = () -> {};

  /** Values in [-1, 1] at least {@code margin} away from 0: no ReLU kink within a perturbation. */
  private static float[] awayFromZero(SplittableRandom rnd, int n, double margin) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      double magnitude = margin + (1 - margin) * rnd.nextDouble();
      x[i] = (float) (rnd.nextBoolean() ? magnitude : -magnitude);
    }
    return x;
  }

  /** A shuffle of evenly spaced values: no two within {@code spacing}, so no max-pool tie flips. */
  private static float[] distinct(SplittableRandom rnd, int n, double spacing) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((i - n / 2.0) * spacing);
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      float t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    return x;
  }

  @Test
  void linear() {
    SplittableRandom rnd = new SplittableRandom(1);
    Linear m = run(ops -> new Linear(ops, alloc, 5, 4, rnd));
    checkModule("Linear", m, uniform(rnd, 3 * 5, -1, 1), new int[] {3, 5}, 1e-2, NOTHING);
    m.close();
  }

  @Test
  void linearOverLeadingDimensions() {
    SplittableRandom rnd = new SplittableRandom(2);
    Linear m = run(ops -> new Linear(ops, alloc, 3, 2, false, rnd));
    checkModule(
        "Linear [2, 2, 3] no bias", m, uniform(rnd, 12, -1, 1), new int[] {2, 2, 3}, 1e-2, NOTHING);
    m.close();
  }

  @Test
  void relu() {
    ReLU m = new ReLU(alloc);
    checkModule(
        "ReLU",
        m,
        awayFromZero(new SplittableRandom(3), 24, 0.05),
        new int[] {2, 3, 4},
        1e-2,
        NOTHING);
    m.close();
  }

  @Test
  void conv2dWithStrideAndPadding() {
    SplittableRandom rnd = new SplittableRandom(4);
    // Non-square kernel, stride and padding, so that the geometry is exercised in both directions.
    Conv2d m = run(ops -> new Conv2d(ops, alloc, 2, 3, 3, 2, 2, 1, 1, 0, true, rnd));
    checkModule(
        "Conv2d", m, uniform(rnd, 2 * 2 * 5 * 6, -1, 1), new int[] {2, 2, 5, 6}, 1e-2, NOTHING);
    m.close();
  }

  @Test
  void conv2dSquare() {
    SplittableRandom rnd = new SplittableRandom(5);
    Conv2d m = run(ops -> new Conv2d(ops, alloc, 1, 2, 3, 1, 1, rnd));
    checkModule(
        "Conv2d 3x3 pad 1", m, uniform(rnd, 2 * 25, -1, 1), new int[] {2, 1, 5, 5}, 1e-2, NOTHING);
    m.close();
  }

  @Test
  void maxPool2d() {
    MaxPool2d m = new MaxPool2d(alloc, 2);
    checkModule(
        "MaxPool2d",
        m,
        distinct(new SplittableRandom(6), 2 * 2 * 4 * 5, 0.05),
        new int[] {2, 2, 4, 5},
        1e-2,
        NOTHING);
    m.close();
  }

  @Test
  void maxPool2dOverlapping() {
    MaxPool2d m = new MaxPool2d(alloc, 3, 1);
    checkModule(
        "MaxPool2d k3 s1",
        m,
        distinct(new SplittableRandom(7), 2 * 5 * 5, 0.05),
        new int[] {1, 2, 5, 5},
        1e-2,
        NOTHING);
    m.close();
  }

  @Test
  void flattenAndUnflatten() {
    Flatten flatten = new Flatten();
    checkModule(
        "Flatten",
        flatten,
        uniform(new SplittableRandom(8), 24, -1, 1),
        new int[] {2, 3, 2, 2},
        1e-2,
        NOTHING);
    flatten.close();
    Unflatten unflatten = new Unflatten(1, 2, 3);
    checkModule(
        "Unflatten",
        unflatten,
        uniform(new SplittableRandom(9), 12, -1, 1),
        new int[] {2, 6},
        1e-2,
        NOTHING);
    unflatten.close();
  }

  @Test
  void dropoutWithAFixedMask() {
    Dropout m = new Dropout(alloc, 0.4, 10);
    // Every forward pass draws mask number 0: the mask is fixed, the layer linear.
    checkModule(
        "Dropout",
        m,
        uniform(new SplittableRandom(11), 30, -1, 1),
        new int[] {5, 6},
        1e-2,
        () -> m.setMasksDrawn(0));
    m.close();
  }

  @Test
  void sequentialMlp() {
    SplittableRandom rnd = new SplittableRandom(12);
    Sequential m =
        run(
            ops ->
                Sequential.builder()
                    .add("fc1", new Linear(ops, alloc, 6, 8, rnd))
                    .add("relu", new ReLU(alloc))
                    .add("drop", new Dropout(alloc, 0.25, 13))
                    .add("fc2", new Linear(ops, alloc, 8, 3, rnd))
                    .build());
    Dropout drop = (Dropout) m.get("drop");
    checkModule(
        "MLP", m, uniform(rnd, 4 * 6, -1, 1), new int[] {4, 6}, 1e-3, () -> drop.setMasksDrawn(0));
    m.close();
  }

  @Test
  void sequentialCnn() {
    SplittableRandom rnd = new SplittableRandom(14);
    Sequential m =
        run(
            ops ->
                Sequential.builder()
                    .add("unflatten", new Unflatten(1, 1, 6, 6))
                    .add("conv1", new Conv2d(ops, alloc, 1, 2, 3, rnd))
                    .add("relu", new ReLU(alloc))
                    .add("pool", new MaxPool2d(alloc, 2))
                    .add("flatten", new Flatten())
                    .add("fc", new Linear(ops, alloc, 8, 3, rnd))
                    .build());
    checkModule("CNN", m, uniform(rnd, 2 * 36, -1, 1), new int[] {2, 36}, 1e-3, NOTHING);
    m.close();
  }

  @Test
  void crossEntropyLoss() {
    SplittableRandom rnd = new SplittableRandom(15);
    Tensor labels = uploadInts(new int[] {2, 0, 4, 4}, 4);
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    checkLoss("CrossEntropyLoss", loss, uniform(rnd, 4 * 5, -2, 2), new int[] {4, 5}, labels, 1e-3);
    loss.close();
    labels.release();
  }

  @Test
  void mseLoss() {
    SplittableRandom rnd = new SplittableRandom(16);
    Tensor target = upload(uniform(rnd, 12, -1, 1), 3, 4);
    MSELoss loss = new MSELoss(alloc);
    checkLoss("MSELoss", loss, uniform(rnd, 12, -1, 1), new int[] {3, 4}, target, 1e-3);
    loss.close();
    target.release();
  }
}
