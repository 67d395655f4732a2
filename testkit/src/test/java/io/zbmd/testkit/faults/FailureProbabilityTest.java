package io.zbmd.testkit.faults;

import static io.zbmd.testkit.faults.FaultTesting.CPU0;
import static io.zbmd.testkit.faults.FaultTesting.FAULTY0;
import static io.zbmd.testkit.faults.FaultTesting.await;
import static io.zbmd.testkit.faults.FaultTesting.cpu;
import static io.zbmd.testkit.faults.FaultTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.KernelException;
import org.junit.jupiter.api.Test;

/** {@code failure-probability}, optionally limited to some ops by name. */
class FailureProbabilityTest {
  private static final int M = 3;
  private static final int K = 4;
  private static final int N = 2;
  private static final float[] A = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  private static final float[] B = {0.5f, -1, 2, 0.25f, -3, 1.5f, 4, -0.75f};

  /** {@code C = A * B} on {@code device}, copied through a second buffer, read back. */
  private static float[] gemmThenCopy(Backend backend, DeviceId device) throws Exception {
    DeviceBuffer a = backend.allocate(device, DType.FLOAT32, M * K, "test");
    DeviceBuffer b = backend.allocate(device, DType.FLOAT32, K * N, "test");
    DeviceBuffer c = backend.allocate(device, DType.FLOAT32, M * N, "test");
    DeviceBuffer d = backend.allocate(device, DType.FLOAT32, M * N, "test");
    try {
      return await(
          backend.stream(device)
              .submit(
                  ops -> {
                    ops.copyFromHost(A, 0, a, 0, M * K);
                    ops.copyFromHost(B, 0, b, 0, K * N);
                    ops.gemm(false, false, M, N, K, 1f, a, 0, K, b, 0, N, 0f, c, 0, N);
                    ops.copy(c, 0, d, 0, M * N);
                    float[] out = new float[M * N];
                    ops.copyToHost(d, 0, out, 0, M * N);
                    return out;
                  }));
    } finally {
      a.release();
      b.release();
      c.release();
      d.release();
    }
  }

  @Test
  void probabilityZeroChangesNothing() throws Exception {
    float[] plain;
    try (Backend cpu = cpu()) {
      plain = gemmThenCopy(cpu, CPU0);
    }
    FaultPlan plan = FaultPlan.builder().seed(99).failureProbability(0).build();
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), plan)) {
      for (int i = 0; i < 5; i++) {
        assertArrayEquals(plain, gemmThenCopy(faulty, FAULTY0));
      }
      assertTrue(faulty.faultLog().isEmpty(), faulty.faultLog().toString());
    }
  }

  @Test
  void probabilityOneForGemmFailsEveryGemmBeforeItRunsAndNothingElse() throws Exception {
    FaultPlan plan = FaultPlan.builder().failureProbability(1).ops("gemm").build();
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), plan)) {
      DeviceBuffer a = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      DeviceBuffer c = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      await(
          faulty.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.fill(a, 0, 4, 1f); // op 0
                    ops.fill(c, 0, 4, 7f); // op 1
                    return null;
                  }));

      KernelException e =
          failure(
              faulty.stream(FAULTY0)
                  .submit(
                      ops -> {
                        ops.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, a, 0, 2, 0f, c, 0, 2); // op 2
                        return null;
                      }),
              KernelException.class);
      assertEquals(FAULTY0, e.device());
      assertTrue(
          e.getMessage().contains("gemm") && e.getMessage().contains("op #2"), e.getMessage());

      // Copies still work, and they show that the failed gemm never wrote C.
      float[] out =
          await(
              faulty.stream(FAULTY0)
                  .submit(
                      ops -> {
                        ops.copy(c, 0, a, 0, 4);
                        float[] host = new float[4];
                        ops.copyToHost(a, 0, host, 0, 4);
                        return host;
                      }));
      assertArrayEquals(new float[] {7f, 7f, 7f, 7f}, out);

      for (int i = 0; i < 3; i++) {
        failure(
            faulty.stream(FAULTY0)
                .submit(
                    ops -> {
                      ops.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, a, 0, 2, 0f, c, 0, 2);
                      return null;
                    }),
            KernelException.class);
      }
      assertEquals(4, faulty.faultLog().size());
      assertTrue(
          faulty.faultLog().entries().stream()
              .allMatch(f -> f.op().equals("gemm") && f.kind() == FaultKind.KERNEL_FAILURE));
      assertFalse(faulty.isLost(FAULTY0));
      a.release();
      c.release();
    }
  }
}
