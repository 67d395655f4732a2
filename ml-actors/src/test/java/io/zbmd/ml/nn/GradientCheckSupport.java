package io.zbmd.ml.nn;

import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Finite-difference gradient checks. The forward pass runs in float32 on the device; the central
 * differences {@code (L(v + h) - L(v - h)) / 2h} are taken in float64 on the host, with {@code h}
 * the perturbation float32 really applied. A module's scalar loss is {@code L = sum(r * y)} for a
 * fixed random projection {@code r} of its output {@code y}, so that every component of the
 * gradient is exercised; a loss module's scalar is its own output.
 *
 * <p>Tolerance: {@code |analytic - numeric| <= 2e-4 + 2e-3 * max(|analytic|, |numeric|)}. What
 * float32 can meet: {@code L} carries a rounding error of about 1e-7 relative to the sum of its
 * few dozen terms of order 1, which divided by {@code 2h} gives up to about 1e-5..1e-4 (h = 1e-2
 * for single piecewise-linear layers, whose differences are exact between kinks; 1e-3 for the
 * networks, to stay clear of ReLU kinks, and the smooth losses, whose truncation error is {@code
 * O(h^2)}). The
 * worst case measured here uses 13% of the tolerance, and an analytic gradient off by 1% fails.
 * Inputs keep clear of the kinks (ReLU's 0, max-pool ties) by more than {@code h}.
 */
abstract class GradientCheckSupport extends MlTestSupport {
  static final double RTOL = 2e-3;
  static final double ATOL = 2e-4;

  /**
   * Checks the input gradient and every parameter gradient of {@code m} at {@code x}.
   *
   * @param beforeForward run before every forward pass (e.g. to fix a dropout mask)
   */
  void checkModule(
      String name, Module m, float[] x0, int[] shape, double h, Runnable beforeForward) {
    float[] x = x0.clone();
    Tensor input = upload(x, shape);
    beforeForward.run();
    int[] outShape = run(ops -> m.forward(ops, input, true).shape());
    float[] r = uniform(new SplittableRandom(name.hashCode()), (int) Tensor.numel(outShape), -1, 1);
    Tensor projection = upload(r, outShape);

    beforeForward.run();
    float[] analyticDx =
        run(
            ops -> {
              m.zeroGrad(ops);
              m.forward(ops, input, true);
              return m.backward(ops, projection).toHost(ops);
            });
    Map<String, float[]> analyticParams =
        run(
            ops -> {
              Map<String, float[]> g = new LinkedHashMap<>();
              m.parameters().forEach((k, p) -> g.put(k, p.grad().toHost(ops)));
              return g;
            });

    Objective objective =
        () -> {
          beforeForward.run();
          float[] y =
              run(
                  ops -> {
                    input.fromHost(ops, x);
                    return m.forward(ops, input, true).toHost(ops);
                  });
          double sum = 0;
          for (int i = 0; i < y.length; i++) {
            sum += (double) r[i] * y[i];
          }
          return sum;
        };

    assertClose(name + ": d/dinput", centralDifferences(x, h, objective), analyticDx, RTOL, ATOL);
    for (Map.Entry<String, Parameter> e : m.parameters().entrySet()) {
      Tensor value = e.getValue().value();
      float[] v = download(value);
      float[] original = v.clone();
      Objective perParam =
          () -> {
            run(ops -> value.fromHost(ops, v));
            return objective.value();
          };
      double[] numeric = centralDifferences(v, h, perParam);
      run(ops -> value.fromHost(ops, original));
      assertClose(name + ": d/d" + e.getKey(), numeric, analyticParams.get(e.getKey()), RTOL, ATOL);
    }
    input.release();
    projection.release();
  }

  /** Checks the gradient of {@code loss} with respect to its input at {@code x}. */
  void checkLoss(String name, Loss loss, float[] x0, int[] shape, Tensor target, double h) {
    float[] x = x0.clone();
    Tensor input = upload(x, shape);
    float[] analytic =
        run(
            ops -> {
              loss.forward(ops, input, target);
              return loss.backward(ops).toHost(ops);
            });
    Objective objective =
        () ->
            run(
                ops -> {
                  input.fromHost(ops, x);
                  return loss.forward(ops, input, target).toHost(ops);
                })[0];
    assertClose(name + ": d/dinput", centralDifferences(x, h, objective), analytic, RTOL, ATOL);
    input.release();
  }

  /** A scalar of the current values, computed on the device. */
  @FunctionalInterface
  interface Objective {
    double value();
  }

  /** d objective / d v[i] for every i, perturbing {@code v} in place and restoring it. */
  static double[] centralDifferences(float[] v, double h, Objective objective) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      float original = v[i];
      float plus = (float) (original + h);
      float minus = (float) (original - h);
      v[i] = plus;
      double up = objective.value();
      v[i] = minus;
      double down = objective.value();
      v[i] = original;
      d[i] = (up - down) / ((double) plus - (double) minus);
    }
    return d;
  }
}
