package io.zbmd.testkit.faults;

import static io.zbmd.testkit.faults.FaultTesting.CPU0;
import static io.zbmd.testkit.faults.FaultTesting.FAULTY0;
import static io.zbmd.testkit.faults.FaultTesting.await;
import static io.zbmd.testkit.faults.FaultTesting.cpu;
import static io.zbmd.testkit.faults.FaultTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceKind;
import io.zbmd.gpu.KernelException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the decorator presents the delegate: relabelled devices, its own buffers, composites. */
class FaultInjectingBackendTest {
  @Test
  void devicesAndBuffersCarryTheFaultyIdsOfTheDelegatesDevices() throws Exception {
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), FaultPlan.none())) {
      Device device = faulty.devices().get(0);
      assertEquals(FAULTY0, device.id());
      assertEquals(DeviceKind.CPU, device.kind());
      assertTrue(device.name().contains("cpu:0"), device.name());
      assertEquals(FAULTY0, faulty.stream(FAULTY0).device().id());

      DeviceBuffer a = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "owner-a");
      assertEquals(FAULTY0, a.device());
      assertEquals("owner-a", a.owner());
      assertEquals(16, a.byteSize());
      DeviceId seenByWork = await(faulty.stream(FAULTY0).submit(ops -> ops.device()));
      assertEquals(FAULTY0, seenByWork);

      // Releasing the decorator's buffer frees the delegate's.
      DeviceBuffer inner = ((FaultyBuffer) a).inner();
      a.release();
      assertTrue(inner.isFreed());
    }
  }

  @Test
  void theDelegatesIdsAndBuffersAreNotAccepted() throws Exception {
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), FaultPlan.none())) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> faulty.allocate(CPU0, DType.FLOAT32, 4, "test"));
      assertTrue(e.getMessage().contains("faulty:0"), e.getMessage());

      DeviceBuffer foreign = faulty.delegate().allocate(CPU0, DType.FLOAT32, 4, "test");
      e =
          failure(
              faulty.stream(FAULTY0)
                  .submit(
                      ops -> {
                        ops.fill(foreign, 0, 4, 1f);
                        return null;
                      }),
              IllegalArgumentException.class);
      assertTrue(e.getMessage().contains("not a buffer of faulty:0"), e.getMessage());
      foreign.release();

      DeviceBuffer freed = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      freed.release();
      failure(
          faulty.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.fill(freed, 0, 4, 1f);
                    return null;
                  }),
          IllegalStateException.class);
    }
  }

  @Test
  void aCompositeCountsAsThePrimitivesItCalls() throws Exception {
    // linearForward without bias is one gemm: "ops = [gemm]" reaches inside it.
    FaultPlan plan = FaultPlan.builder().failureProbability(1).ops("gemm").build();
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), plan)) {
      DeviceBuffer x = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      await(
          faulty.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.fill(x, 0, 4, 1f); // op 0
                    return null;
                  }));
      failure(
          faulty.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.linearForward(x, x, null, x, 2, 2, 2); // op 1: its gemm
                    return null;
                  }),
          KernelException.class);
      assertEquals(
          List.of(new InjectedFault(FAULTY0, 1, "gemm", FaultKind.KERNEL_FAILURE)),
          faulty.faultLog().entries());
      x.release();
    }
  }

  @Test
  void anInjectedFaultFailsTheSubmissionEvenIfTheWorkCatchesIt() throws Exception {
    FaultPlan plan = FaultPlan.builder().failureProbability(1).ops("fill").build();
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), plan)) {
      DeviceBuffer x = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      KernelException[] caught = new KernelException[1];
      KernelException e =
          failure(
              faulty.stream(FAULTY0)
                  .submit(
                      ops -> {
                        try {
                          ops.fill(x, 0, 4, 1f);
                        } catch (KernelException swallowed) {
                          caught[0] = swallowed;
                        }
                        return "looks fine";
                      }),
              KernelException.class);
      assertSame(caught[0], e);
      x.release();
    }
  }

  @Test
  void theLogPrintsThePlanForReplay() throws Exception {
    FaultPlan plan = FaultPlan.builder().seed(77).failureProbability(1).build();
    try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpu(), plan)) {
      DeviceBuffer x = faulty.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      failure(
          faulty.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.fill(x, 0, 4, 1f);
                    return null;
                  }),
          KernelException.class);
      String log = faulty.faultLog().toString();
      assertTrue(
          log.contains("seed = 77") && log.contains("faulty:0 fill #0: KERNEL_FAILURE"), log);
      x.release();
    }
  }
}
