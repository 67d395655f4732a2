package io.zbmd.ml.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Linear}: PyTorch's layout, initialisation, forward values, accumulation and checks. */
class LinearTest extends MlTestSupport {

  @Test
  void forwardMatchesAHostReferenceInPyTorchLayout() {
    SplittableRandom rnd = new SplittableRandom(1);
    int batch = 7;
    int in = 13;
    int out = 5;
    Linear fc = run(ops -> new Linear(ops, alloc, in, out, rnd));
    float[] w = download(fc.parameters().get("weight").value()); // [out, in]
    float[] b = download(fc.parameters().get("bias").value());
    float[] x = uniform(rnd, batch * in, -1, 1);
    Tensor input = upload(x, batch, in);
    float[] y = run(ops -> fc.forward(ops, input, false).toHost(ops));

    double[] expected = new double[batch * out];
    for (int n = 0; n < batch; n++) {
      for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int i = 0; i < in; i++) {
          s += (double) x[n * in + i] * w[o * in + i];
        }
        expected[n * out + o] = s;
      }
    }
    assertClose("y", expected, y, 1e-5, 1e-6);
    fc.close();
    input.release();
  }

  @Test
  void parametersAreNamedAndInitialisedAsPyTorch() {
    Linear fc = run(ops -> new Linear(ops, alloc, 784, 128, new SplittableRandom(2)));
    assertEquals(List.of("weight", "bias"), List.copyOf(fc.parameters().keySet()));
    assertArrayEquals(new int[] {128, 784}, fc.parameters().get("weight").shape());
    assertArrayEquals(new int[] {128}, fc.parameters().get("bias").shape());
    assertEquals(784 * 128 + 128, fc.parameterCount());
    float bound = (float) (1 / Math.sqrt(784));
    float[] w = download(fc.parameters().get("weight").value());
    double max = 0;
    double sum = 0;
    for (float v : w) {
      max = Math.max(max, Math.abs(v));
      sum += v;
    }
    assertTrue(max <= bound, "weights within 1/sqrt(fan_in)");
    assertTrue(max > 0.99 * bound, "weights fill the interval (max " + max + ")");
    assertTrue(Math.abs(sum / w.length) < 0.01 * bound, "weights centred");
    for (float v : download(fc.parameters().get("bias").value())) {
      assertTrue(Math.abs(v) <= bound);
    }
    // Reproducible: the same seed gives the same bits.
    Linear again = run(ops -> new Linear(ops, alloc, 784, 128, new SplittableRandom(2)));
    assertArrayEquals(w, download(again.parameters().get("weight").value()));
    fc.close();
    again.close();
  }

  @Test
  void gradientsAccumulateUntilZeroGrad() {
    SplittableRandom rnd = new SplittableRandom(3);
    Linear fc = run(ops -> new Linear(ops, alloc, 6, 4, rnd));
    Tensor a = upload(uniform(rnd, 5 * 6, -1, 1), 5, 6);
    Tensor b = upload(uniform(rnd, 5 * 6, -1, 1), 5, 6);
    Tensor dy = upload(uniform(rnd, 5 * 4, -1, 1), 5, 4);
    Parameter w = fc.parameters().get("weight");
    Parameter bias = fc.parameters().get("bias");

    float[][] once =
        run(
            ops -> {
              fc.zeroGrad(ops);
              fc.forward(ops, a, true);
              fc.backward(ops, dy);
              return new float[][] {w.grad().toHost(ops), bias.grad().toHost(ops)};
            });
    float[][] twice =
        run(
            ops -> {
              fc.forward(ops, a, true);
              fc.backward(ops, dy);
              return new float[][] {w.grad().toHost(ops), bias.grad().toHost(ops)};
            });
    assertClose("weight grad after two backward passes", times(2, once[0]), twice[0], 1e-6, 0);
    assertClose("bias grad after two backward passes", times(2, once[1]), twice[1], 1e-6, 0);

    // Micro-batches add up: grad(a) + grad(b) is the gradient of the two together.
    float[][] separate =
        run(
            ops -> {
              fc.zeroGrad(ops);
              fc.forward(ops, a, true);
              fc.backward(ops, dy);
              fc.forward(ops, b, true);
              fc.backward(ops, dy);
              return new float[][] {w.grad().toHost(ops), bias.grad().toHost(ops)};
            });
    float[] joined = new float[2 * 5 * 6];
    System.arraycopy(download(a), 0, joined, 0, 30);
    System.arraycopy(download(b), 0, joined, 30, 30);
    Tensor ab = upload(joined, 10, 6);
    float[] dy2 = new float[40];
    System.arraycopy(download(dy), 0, dy2, 0, 20);
    System.arraycopy(download(dy), 0, dy2, 20, 20);
    Tensor dyab = upload(dy2, 10, 4);
    float[][] together =
        run(
            ops -> {
              fc.zeroGrad(ops);
              fc.forward(ops, ab, true);
              fc.backward(ops, dyab);
              return new float[][] {w.grad().toHost(ops), bias.grad().toHost(ops)};
            });
    assertClose("weight grad of two micro-batches", together[0], separate[0], 1e-5, 1e-7);
    assertClose("bias grad of two micro-batches", together[1], separate[1], 1e-5, 1e-7);

    float[][] zeroed =
        run(
            ops -> {
              fc.zeroGrad(ops);
              return new float[][] {w.grad().toHost(ops), bias.grad().toHost(ops)};
            });
    assertArrayEquals(new float[24], zeroed[0]);
    assertArrayEquals(new float[4], zeroed[1]);
    fc.close();
    for (Tensor t : new Tensor[] {a, b, dy, ab, dyab}) {
      t.release();
    }
  }

  @Test
  void aWrongInputShapeNamesTheLayerAndBothShapes() {
    Linear fc = run(ops -> new Linear(ops, alloc, 784, 10, new SplittableRandom(4)));
    Tensor x = upload(new float[64 * 100], 64, 100);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(ops -> fc.forward(ops, x, true)));
    assertTrue(e.getMessage().contains("Linear(in_features=784, out_features=10"), e.getMessage());
    assertTrue(e.getMessage().contains("[*, 784]"), e.getMessage());
    assertTrue(e.getMessage().contains("[64, 100]"), e.getMessage());

    Tensor good = upload(new float[2 * 784], 2, 784);
    run(ops -> fc.forward(ops, good, true));
    Tensor badGrad = upload(new float[3 * 10], 3, 10);
    e = assertThrows(IllegalArgumentException.class, () -> run(ops -> fc.backward(ops, badGrad)));
    assertTrue(
        e.getMessage().contains("[2, 10]") && e.getMessage().contains("[3, 10]"), e.getMessage());
    fc.close();
    x.release();
    good.release();
    badGrad.release();
  }

  @Test
  void backwardBeforeForwardAndUseAfterCloseAreStateErrors() {
    Linear fc = run(ops -> new Linear(ops, alloc, 3, 2, new SplittableRandom(5)));
    Tensor dy = upload(new float[2], 1, 2);
    assertThrows(IllegalStateException.class, () -> run(ops -> fc.backward(ops, dy)));
    fc.close();
    fc.close(); // idempotent
    Tensor x = upload(new float[3], 1, 3);
    assertThrows(IllegalStateException.class, () -> run(ops -> fc.forward(ops, x, true)));
    dy.release();
    x.release();
  }

  @Test
  void withoutInputGradientBackwardReturnsNullAndStillAccumulates() {
    SplittableRandom rnd = new SplittableRandom(6);
    Linear fc = run(ops -> new Linear(ops, alloc, 3, 2, rnd));
    Tensor x = upload(uniform(rnd, 6, -1, 1), 2, 3);
    Tensor dy = upload(uniform(rnd, 4, -1, 1), 2, 2);
    float[] grad =
        run(
            ops -> {
              fc.zeroGrad(ops);
              fc.forward(ops, x, true);
              assertNull(fc.backward(ops, dy, false));
              return fc.parameters().get("weight").grad().toHost(ops);
            });
    assertTrue(Math.abs(grad[0]) > 0);
    fc.close();
    x.release();
    dy.release();
  }

  private static float[] times(float k, float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = k * v[i];
    }
    return out;
  }
}
