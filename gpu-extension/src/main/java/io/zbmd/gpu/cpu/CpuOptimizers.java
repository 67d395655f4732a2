package io.zbmd.gpu.cpu;

import java.nio.FloatBuffer;

/**
 * SGD and Adam updates, elementwise in float, in the order of operations of PyTorch's
 * single-tensor implementations ({@code torch/optim/sgd.py}, {@code adam.py}), scalars computed in
 * double as Python does and rounded to float once per call.
 */
final class CpuOptimizers {
  private CpuOptimizers() {}

  /**
   * {@code g = grad + wd * p; v = momentum * v + g; p -= lr * v} (without momentum: {@code p -= lr
   * * g}). PyTorch sets {@code v = g} on its first step; with {@code v} starting at zero the
   * formula gives the same bits. {@code grad} is only read.
   */
  static void sgd(Parallel par, FloatBuffer p, FloatBuffer grad, FloatBuffer velocity, int n,
      float lr, float momentum, float weightDecay) {
    par.forEach(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        float pi = p.get(i);
        float g = grad.get(i);
        if (weightDecay != 0f) {
          g = g + weightDecay * pi;
        }
        if (momentum != 0f) {
          g = momentum * velocity.get(i) + g;
          velocity.put(i, g);
        }
        p.put(i, pi - lr * g);
      }
    });
  }

  /**
   * PyTorch's Adam: {@code g = grad + wd * p; m += (1 - b1) (g - m)} (its {@code lerp}); {@code
   * v = b2 v + (1 - b2) g g}; {@code p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)} with
   * {@code bc = 1 - beta^step}, which is {@code p -= lr * mhat / (sqrt(vhat) + eps)} rearranged.
   */
  static void adam(Parallel par, FloatBuffer p, FloatBuffer grad, FloatBuffer m, FloatBuffer v, int n,
      double lr, double beta1, double beta2, float eps, float weightDecay, int step) {
    double bc1 = 1 - StrictMath.pow(beta1, step);
    double bc2 = 1 - StrictMath.pow(beta2, step);
    float stepSize = (float) (lr / bc1);
    float bc2Sqrt = (float) Math.sqrt(bc2);
    float oneMinusBeta1 = (float) (1.0 - beta1);
    float oneMinusBeta2 = (float) (1.0 - beta2);
    float decay2 = (float) beta2; // v.mul_(beta2) multiplies by the scalar as a float
    par.forEach(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        float pi = p.get(i);
        float g = grad.get(i);
        if (weightDecay != 0f) {
          g = g + weightDecay * pi;
        }
        float mi = m.get(i);
        mi = mi + oneMinusBeta1 * (g - mi);
        float vi = decay2 * v.get(i) + oneMinusBeta2 * g * g;
        float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
        m.put(i, mi);
        v.put(i, vi);
        p.put(i, pi - stepSize * mi / denom);
      }
    });
  }
}
