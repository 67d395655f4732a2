package io.zbmd.ml.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An optimizer's state on the host, for checkpoints: which optimizer ({@code SGD}, {@code Adam},
 * {@code AdamW}), how many steps it took and its buffers keyed {@code <parameter>.<buffer>} with
 * PyTorch's buffer names ({@code momentum_buffer}, {@code exp_avg}, {@code exp_avg_sq}). Empty
 * buffers mean none yet (before the first step, or SGD without momentum). The arrays are shared,
 * not copied: treat them as read-only.
 *
 * <pre>{@code
 * OptimizerState s = stream.submit(ops -> adam.state(ops)).toCompletableFuture().join();
 * float[] m = s.buffer("fc1.weight", "exp_avg");
 * }</pre>
 */
public record OptimizerState(String optimizer, long step, Map<String, float[]> buffers) {
  public OptimizerState {
    Objects.requireNonNull(optimizer, "optimizer");
    if (step < 0) {
      throw new IllegalArgumentException("optimizer step must be >= 0, got " + step);
    }
    buffers =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(Objects.requireNonNull(buffers, "buffers")));
  }

  /** The key of {@code buffer} of {@code parameter}: {@code fc1.weight.exp_avg}. */
  public static String key(String parameter, String buffer) {
    return parameter + "." + buffer;
  }

  /**
   * The values of {@code buffer} of {@code parameter}.
   *
   * @throws IllegalArgumentException if there is no such buffer
   */
  public float[] buffer(String parameter, String buffer) {
    float[] v = buffers.get(key(parameter, buffer));
    if (v == null) {
      throw new IllegalArgumentException(
          optimizer + " state has no " + key(parameter, buffer) + "; it has " + buffers.keySet());
    }
    return v;
  }
}
