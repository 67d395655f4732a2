package io.zbmd.ml.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Loss values against their definitions, the gradient scale, and target checks. */
class LossTest extends MlTestSupport {

  @Test
  void crossEntropyIsTheBatchMeanOfNegativeLogSoftmax() {
    SplittableRandom rnd = new SplittableRandom(1);
    int n = 6;
    int c = 4;
    float[] logits = uniform(rnd, n * c, -3, 3);
    int[] labels = {0, 3, 1, 1, 2, 3};
    Tensor x = upload(logits, n, c);
    Tensor y = uploadInts(labels, n);
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Tensor value = run(ops -> loss.forward(ops, x, y));
    assertArrayEquals(new int[0], value.shape());
    double expected = 0;
    for (int r = 0; r < n; r++) {
      double sum = 0;
      for (int k = 0; k < c; k++) {
        sum += Math.exp(logits[r * c + k]);
      }
      expected += Math.log(sum) - logits[r * c + labels[r]];
    }
    expected /= n;
    assertEquals(expected, download(value)[0], 1e-6 * Math.abs(expected));

    float[] full = run(ops -> loss.backward(ops).toHost(ops));
    float[] quarter = run(ops -> loss.backward(ops, 0.25f).toHost(ops));
    for (int i = 0; i < full.length; i++) {
      assertEquals(0.25f * full[i], quarter[i], 1e-7);
    }
    loss.close();
    x.release();
    y.release();
  }

  @Test
  void crossEntropyChecksItsTarget() {
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Tensor x = upload(new float[8], 2, 4);
    Tensor floats = upload(new float[2], 2);
    Tensor tooMany = uploadInts(new int[3], 3);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> run(ops -> loss.forward(ops, x, floats)));
    assertTrue(e.getMessage().contains("INT32") && e.getMessage().contains("[2]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> run(ops -> loss.forward(ops, x, tooMany)));
    Tensor outOfRange = uploadInts(new int[] {0, 4}, 2);
    assertThrows(
        IllegalArgumentException.class, () -> run(ops -> loss.forward(ops, x, outOfRange)));
    assertThrows(
        IllegalStateException.class, () -> run(ops -> new CrossEntropyLoss(alloc).backward(ops)));
    loss.close();
    for (Tensor t : new Tensor[] {x, floats, tooMany, outOfRange}) {
      t.release();
    }
  }

  @Test
  void mseIsTheMeanSquaredDifference() {
    float[] a = {1, 2, 3, 4, 5, 6};
    float[] b = {1.5f, 2, 2, 4, 7, 6};
    Tensor x = upload(a, 2, 3);
    Tensor t = upload(b, 2, 3);
    MSELoss loss = new MSELoss(alloc);
    float value = run(ops -> loss.forward(ops, x, t).toHost(ops))[0];
    assertEquals((0.25 + 1 + 4) / 6, value, 1e-7);
    float[] grad = run(ops -> loss.backward(ops).toHost(ops));
    for (int i = 0; i < a.length; i++) {
      assertEquals(2 * (a[i] - b[i]) / 6, grad[i], 1e-7);
    }
    Tensor wrong = upload(new float[6], 3, 2);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(ops -> loss.forward(ops, x, wrong)));
    assertTrue(
        e.getMessage().contains("MSELoss")
            && e.getMessage().contains("[2, 3]")
            && e.getMessage().contains("[3, 2]"),
        e.getMessage());
    loss.close();
    x.release();
    t.release();
    wrong.release();
  }
}
