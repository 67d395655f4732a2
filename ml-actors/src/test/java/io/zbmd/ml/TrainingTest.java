package io.zbmd.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Dropout;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.optim.SGD;
import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Layers, loss and optimizer together, a training step being one submitted work: reproducible bit
 * for bit, micro-batches adding up to their batch, and a small network that learns.
 */
class TrainingTest extends MlTestSupport {
  private static final int FEATURES = 10;
  private static final int CLASSES = 3;

  private Sequential mlp(Ops ops, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    return Sequential.builder()
        .add("fc1", new Linear(ops, alloc, FEATURES, 32, rng))
        .add("relu", new ReLU(alloc))
        .add("dropout", new Dropout(alloc, 0.1, seed))
        .add("fc2", new Linear(ops, alloc, 32, CLASSES, rng))
        .build();
  }

  /** Gaussian blobs around one random centre per class: separable, but not trivially. */
  private static final class Blobs {
    final float[] x;
    final int[] y;

    Blobs(long seed, int n) {
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

    private static double gaussian(SplittableRandom rnd) {
      return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble()))
          * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
  }

  /** One training step as one work: zero, forward, loss, backward, update; returns the loss. */
  private float step(Sequential model, CrossEntropyLoss loss, Optimizer opt, Tensor x, Tensor y) {
    return run(
        ops -> {
          opt.zeroGrad(ops);
          Tensor value = loss.forward(ops, model.forward(ops, x, true), y);
          model.backward(ops, loss.backward(ops), false);
          opt.step(ops);
          return value.toHost(ops);
        })[0];
  }

  /** Trains {@code steps} batches from {@code seed} and returns the weights. */
  private Map<String, float[]> train(
      long seed, int steps, BiFunction<Sequential, Long, Optimizer> optimizer) {
    Sequential model = run(ops -> mlp(ops, seed));
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Optimizer opt = optimizer.apply(model, seed);
    Blobs data = new Blobs(seed, 16 * steps);
    Tensor x = upload(new float[16 * FEATURES], 16, FEATURES);
    Tensor y = uploadInts(new int[16], 16);
    for (int s = 0; s < steps; s++) {
      int from = s * 16;
      run(
          ops -> {
            x.fromHost(ops, Arrays.copyOfRange(data.x, from * FEATURES, (from + 16) * FEATURES));
            y.fromHost(ops, Arrays.copyOfRange(data.y, from, from + 16));
            return null;
          });
      step(model, loss, opt, x, y);
    }
    Map<String, float[]> weights =
        run(
            ops -> {
              Map<String, float[]> w = new LinkedHashMap<>();
              model.parameters().forEach((k, p) -> w.put(k, p.value().toHost(ops)));
              return w;
            });
    opt.close();
    loss.close();
    model.close();
    x.release();
    y.release();
    return weights;
  }

  private static void assertSameBits(Map<String, float[]> a, Map<String, float[]> b) {
    assertTrue(a.keySet().equals(b.keySet()));
    for (String k : a.keySet()) {
      assertArrayEquals(a.get(k), b.get(k), k); // float equality, element by element: the same bits
    }
  }

  @Test
  void theSameSeedGivesTheSameWeightsBitForBit() {
    BiFunction<Sequential, Long, Optimizer> adam =
        (m, s) -> new Adam(alloc, m.parameters(), Adam.Options.defaults().withLr(1e-2));
    BiFunction<Sequential, Long, Optimizer> nesterov =
        (m, s) ->
            new SGD(
                alloc,
                m.parameters(),
                SGD.Options.of(0.05).withMomentum(0.9).withNesterov(true).withWeightDecay(1e-4));
    assertSameBits(train(7, 5, adam), train(7, 5, adam));
    assertSameBits(train(7, 5, nesterov), train(7, 5, nesterov));
    assertFalse(
        Arrays.equals(train(7, 5, adam).get("fc1.weight"), train(8, 5, adam).get("fc1.weight")),
        "another seed, other weights");
  }

  @Test
  void microBatchesWithScaledLossesAddUpToTheBatch() {
    Sequential model = run(ops -> mlp(ops, 3));
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Blobs data = new Blobs(3, 8);
    Tensor all = upload(data.x, 8, FEATURES);
    Tensor allY = uploadInts(data.y, 8);
    Tensor first = upload(Arrays.copyOfRange(data.x, 0, 4 * FEATURES), 4, FEATURES);
    Tensor firstY = uploadInts(Arrays.copyOfRange(data.y, 0, 4), 4);
    Tensor second = upload(Arrays.copyOfRange(data.x, 4 * FEATURES, 8 * FEATURES), 4, FEATURES);
    Tensor secondY = uploadInts(Arrays.copyOfRange(data.y, 4, 8), 4);
    // Evaluation mode: no dropout, so that both ways see the same function.
    Map<String, float[]> whole =
        run(
            ops -> {
              model.zeroGrad(ops);
              loss.forward(ops, model.forward(ops, all, false), allY);
              model.backward(ops, loss.backward(ops), false);
              return grads(ops, model.parameters());
            });
    Map<String, float[]> halves =
        run(
            ops -> {
              model.zeroGrad(ops);
              loss.forward(ops, model.forward(ops, first, false), firstY);
              model.backward(ops, loss.backward(ops, 0.5f), false);
              loss.forward(ops, model.forward(ops, second, false), secondY);
              model.backward(ops, loss.backward(ops, 0.5f), false);
              return grads(ops, model.parameters());
            });
    for (String k : whole.keySet()) {
      assertClose(k, whole.get(k), halves.get(k), 1e-5, 1e-7);
    }
    model.close();
    loss.close();
    for (Tensor t : new Tensor[] {all, allY, first, firstY, second, secondY}) {
      t.release();
    }
  }

  private static Map<String, float[]> grads(Ops ops, Map<String, Parameter> params) {
    Map<String, float[]> g = new LinkedHashMap<>();
    params.forEach((k, p) -> g.put(k, p.grad().toHost(ops)));
    return g;
  }

  @Test
  @Timeout(30)
  void anMlpLearnsSeparableBlobs() {
    Sequential model = run(ops -> mlp(ops, 11));
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Optimizer opt = new Adam(alloc, model.parameters(), Adam.Options.defaults().withLr(1e-2));
    int batch = 32;
    int steps = 150;
    Blobs train = new Blobs(11, batch * steps);
    Tensor x = upload(new float[batch * FEATURES], batch, FEATURES);
    Tensor y = uploadInts(new int[batch], batch);
    float first = 0;
    double last = 0;
    for (int s = 0; s < steps; s++) {
      int from = s * batch;
      run(
          ops -> {
            x.fromHost(
                ops, Arrays.copyOfRange(train.x, from * FEATURES, (from + batch) * FEATURES));
            y.fromHost(ops, Arrays.copyOfRange(train.y, from, from + batch));
            return null;
          });
      float l = step(model, loss, opt, x, y);
      if (s == 0) {
        first = l;
      }
      if (s >= steps - 10) {
        last += l / 10;
      }
    }
    assertTrue(last < 0.15 * first, "loss fell from " + first + " to " + last);

    Blobs test = new Blobs(99, 300);
    Tensor tx = upload(test.x, 300, FEATURES);
    float[] logits = run(ops -> model.forward(ops, tx, false).toHost(ops));
    int correct = 0;
    for (int i = 0; i < 300; i++) {
      int best = 0;
      for (int c = 1; c < CLASSES; c++) {
        if (logits[i * CLASSES + c] > logits[i * CLASSES + best]) {
          best = c;
        }
      }
      correct += best == test.y[i] ? 1 : 0;
    }
    assertTrue(correct >= 285, "test accuracy " + correct + "/300");
    opt.close();
    loss.close();
    model.close();
    x.release();
    y.release();
    tx.release();
  }
}
