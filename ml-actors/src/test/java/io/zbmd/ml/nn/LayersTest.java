package io.zbmd.ml.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The layers without parameters: values, shapes and their particular rules. */
class LayersTest extends MlTestSupport {

  @Test
  void reluZeroesNegativesAndPassesGradientsWherePositive() {
    ReLU relu = new ReLU(alloc);
    Tensor x = upload(new float[] {-2, 0, 3, -0.5f, 1, 0}, 2, 3);
    Tensor dy = upload(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    float[][] r =
        run(
            ops ->
                new float[][] {
                  relu.forward(ops, x, true).toHost(ops), relu.backward(ops, dy).toHost(ops)
                });
    assertArrayEquals(new float[] {0, 0, 3, 0, 1, 0}, r[0]);
    assertArrayEquals(new float[] {0, 0, 3, 0, 5, 0}, r[1]); // 0 at x = 0, as PyTorch
    relu.close();
    x.release();
    dy.release();
  }

  @Test
  void maxPoolTakesWindowMaximaAndRoutesGradientsToThem() {
    MaxPool2d pool = new MaxPool2d(alloc, 2);
    // One 4x5 plane: floor mode drops the last column.
    float[] plane = {
      1, 5, 2, 0, 9,
      3, 4, 8, 1, 9,
      0, 0, 1, 1, 9,
      7, 0, 1, 6, 9
    };
    Tensor x = upload(plane, 1, 1, 4, 5);
    Tensor dy = upload(new float[] {10, 20, 30, 40}, 1, 1, 2, 2);
    float[][] r =
        run(
            ops ->
                new float[][] {
                  pool.forward(ops, x, true).toHost(ops), pool.backward(ops, dy).toHost(ops)
                });
    assertArrayEquals(new float[] {5, 8, 7, 6}, r[0]);
    float[] expected = new float[20];
    expected[1] = 10;
    expected[7] = 20;
    expected[15] = 30;
    expected[18] = 40;
    assertArrayEquals(expected, r[1]);
    Tensor flat = upload(new float[4], 1, 4);
    assertThrows(IllegalArgumentException.class, () -> run(ops -> pool.forward(ops, flat, true)));
    pool.close();
    flat.release();
    x.release();
    dy.release();
  }

  @Test
  void flattenIsAViewInChannelHeightWidthOrder() {
    Flatten flatten = new Flatten();
    float[] values = uniform(new SplittableRandom(1), 2 * 3 * 2 * 2, -1, 1);
    Tensor x = upload(values, 2, 3, 2, 2);
    Tensor y = run(ops -> flatten.forward(ops, x, true));
    assertArrayEquals(new int[] {2, 12}, y.shape());
    assertSame(x.buffer(), y.buffer(), "no copy");
    assertArrayEquals(values, download(y));
    Tensor dy = upload(values, 2, 12);
    Tensor dx = run(ops -> flatten.backward(ops, dy));
    assertArrayEquals(new int[] {2, 3, 2, 2}, dx.shape());
    // The caller may release its tensors: the layer holds views of its own.
    x.release();
    dy.release();
    assertArrayEquals(values, download(dx));
    flatten.close();
    assertTrue(x.buffer().isFreed(), "the last view went with the layer");

    Flatten partial = new Flatten(1, 2);
    Tensor z = upload(new float[24], 2, 3, 2, 2);
    assertArrayEquals(new int[] {2, 6, 2}, run(ops -> partial.forward(ops, z, true)).shape());
    partial.close();
    z.release();
  }

  @Test
  void unflattenSplitsADimension() {
    Unflatten unflatten = new Unflatten(1, 1, 28, 28);
    Tensor x = upload(new float[3 * 784], 3, 784);
    assertArrayEquals(
        new int[] {3, 1, 28, 28}, run(ops -> unflatten.forward(ops, x, true)).shape());
    Tensor wrong = upload(new float[3 * 100], 3, 100);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> run(ops -> unflatten.forward(ops, wrong, true)));
    assertTrue(
        e.getMessage().contains("Unflatten") && e.getMessage().contains("[3, 100]"),
        e.getMessage());
    unflatten.close();
    x.release();
    wrong.release();
  }

  @Test
  void dropoutZeroesAboutPAndScalesTheRest() {
    Dropout drop = new Dropout(alloc, 0.3, 7);
    int n = 20_000;
    float[] ones = new float[n];
    java.util.Arrays.fill(ones, 1f);
    Tensor x = upload(ones, 100, 200);
    float[] y = run(ops -> drop.forward(ops, x, true).toHost(ops));
    int zeros = 0;
    float scale = 1f / 0.7f;
    for (float v : y) {
      if (v == 0) {
        zeros++;
      } else {
        assertEquals(scale, v);
      }
    }
    assertEquals(0.3, zeros / (double) n, 0.015);
    // Evaluation is the identity, and draws no mask.
    assertEquals(1, drop.masksDrawn());
    assertArrayEquals(ones, run(ops -> drop.forward(ops, x, false).toHost(ops)));
    assertEquals(1, drop.masksDrawn());
    // The gradient goes through the mask of the last training pass.
    float[] again =
        run(
            ops -> {
              drop.forward(ops, x, true);
              return drop.backward(ops, x).toHost(ops);
            });
    float[] secondMask = run(ops -> drop.forward(ops, x, true).toHost(ops));
    assertTrue(!java.util.Arrays.equals(y, again), "a new mask per training pass");
    // Rewinding the generator replays the masks: what a checkpoint restores.
    drop.setMasksDrawn(0);
    assertArrayEquals(y, run(ops -> drop.forward(ops, x, true).toHost(ops)));
    assertArrayEquals(again, run(ops -> drop.forward(ops, x, true).toHost(ops)));
    assertArrayEquals(secondMask, run(ops -> drop.forward(ops, x, true).toHost(ops)));
    drop.close();
    x.release();
  }

  @Test
  void dropoutExtremes() {
    Tensor x = upload(new float[] {1, 2, 3, 4}, 2, 2);
    Dropout none = new Dropout(alloc, 0, 1);
    assertArrayEquals(new float[] {1, 2, 3, 4}, run(ops -> none.forward(ops, x, true).toHost(ops)));
    Dropout all = new Dropout(alloc, 1, 1);
    assertArrayEquals(new float[4], run(ops -> all.forward(ops, x, true).toHost(ops)));
    assertThrows(IllegalArgumentException.class, () -> new Dropout(alloc, 1.5, 1));
    none.close();
    all.close();
    x.release();
  }
}
