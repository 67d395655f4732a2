package io.zbmd.gpu.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import org.junit.jupiter.api.Test;

/**
 * Adam's scalars as PyTorch has them: {@code betas=(0.9, 0.999)} are Python floats, so {@code
 * exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)} multiplies by {@code 0.999f} and adds
 * {@code 0.001f * g * g}; {@code 1 - 0.999f} (0.00099998713f) would be off by 1.3e-5 relative.
 */
class CpuAdamConstantsTest {
  private static final DeviceId CPU0 = new DeviceId("cpu", 0);

  @Test
  void theMomentsOfTheFirstStepUseTorchsRoundedConstants() throws Exception {
    try (Backend backend = new CpuBackendProvider().create(ConfigFactory.empty())) {
      DeviceBuffer p = backend.allocate(CPU0, DType.FLOAT32, 1, "p");
      DeviceBuffer g = backend.allocate(CPU0, DType.FLOAT32, 1, "g");
      DeviceBuffer m = backend.allocate(CPU0, DType.FLOAT32, 1, "m");
      DeviceBuffer v = backend.allocate(CPU0, DType.FLOAT32, 1, "v");
      float[][] out = new float[2][1];
      backend.stream(CPU0).submit((Ops ops) -> {
        ops.copyFromHost(new float[] {1f}, 0, p, 0, 1);
        ops.copyFromHost(new float[] {3f}, 0, g, 0, 1);
        ops.fill(m, 0, 1, 0f);
        ops.fill(v, 0, 1, 0f);
        ops.adamUpdate(p, g, m, v, 1, 0.001, 0.9, 0.999, 1e-8f, 0f, 1);
        ops.copyToHost(m, 0, out[0], 0, 1);
        ops.copyToHost(v, 0, out[1], 0, 1);
        return null;
      }).toCompletableFuture().get();
      assertEquals(0.1f * 3f, out[0][0], 0f, "exp_avg = (1 - 0.9) * g");
      assertEquals(0.001f * 3f * 3f, out[1][0], 0f, "exp_avg_sq = 0.001f * g * g");
      assertNotEquals((float) (1.0 - 0.999f) * 3f * 3f, out[1][0], "not 1 - 0.999f");
    }
  }
}
