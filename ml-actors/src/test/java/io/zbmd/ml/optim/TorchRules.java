package io.zbmd.ml.optim;

/**
 * The update rules of {@code torch.optim} (the single-tensor implementations in {@code sgd.py},
 * {@code adam.py}, {@code adamw.py}) written out on the host in float32 with Python's double
 * scalars: the oracle the optimizers are tested against.
 */
final class TorchRules {
  private TorchRules() {}

  /** {@code torch.optim.SGD}: one step over {@code p}; {@code buf} is null until the first step. */
  static float[] sgd(float[] p, float[] grad, float[] buf, SGD.Options o) {
    float[] nextBuf = buf;
    for (int i = 0; i < p.length; i++) {
      float g = grad[i];
      if (o.weightDecay() != 0) {
        g = g + (float) o.weightDecay() * p[i];
      }
      if (o.momentum() != 0) {
        if (buf == null) {
          if (nextBuf == null) {
            nextBuf = new float[p.length];
          }
          nextBuf[i] = g;
        } else {
          nextBuf[i] = (float) o.momentum() * buf[i] + (float) (1 - o.dampening()) * g;
        }
        g = o.nesterov() ? g + (float) o.momentum() * nextBuf[i] : nextBuf[i];
      }
      p[i] = p[i] - (float) o.lr() * g;
    }
    return nextBuf;
  }

  /** {@code torch.optim.Adam} ({@code decoupled = false}) or AdamW ({@code true}), step from 1. */
  static void adam(
      float[] p, float[] grad, float[] m, float[] v, Adam.Options o, int step, boolean decoupled) {
    double bc1 = 1 - Math.pow(o.beta1(), step);
    double bc2 = 1 - Math.pow(o.beta2(), step);
    double stepSize = o.lr() / bc1;
    double bc2Sqrt = Math.sqrt(bc2);
    for (int i = 0; i < p.length; i++) {
      if (decoupled) {
        p[i] = p[i] * (float) (1 - o.lr() * o.weightDecay());
      }
      float g = grad[i];
      if (!decoupled && o.weightDecay() != 0) {
        g = g + (float) o.weightDecay() * p[i];
      }
      m[i] = m[i] + (float) (1 - o.beta1()) * (g - m[i]); // lerp_
      v[i] = v[i] * (float) o.beta2() + (float) (1 - o.beta2()) * g * g;
      float denom = (float) Math.sqrt(v[i]) / (float) bc2Sqrt + (float) o.eps();
      p[i] = p[i] - (float) stepSize * (m[i] / denom);
    }
  }
}
