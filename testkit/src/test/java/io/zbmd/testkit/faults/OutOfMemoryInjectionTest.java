package io.zbmd.testkit.faults;

import static io.zbmd.testkit.faults.FaultTesting.FAULTY0;
import static io.zbmd.testkit.faults.FaultTesting.await;
import static io.zbmd.testkit.faults.FaultTesting.cpu;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code oom-after-bytes}: allocations fit until their total would pass the threshold. */
class OutOfMemoryInjectionTest {
  private final FaultInjectingBackend backend =
      FaultInjectingBackend.wrap(cpu(), FaultPlan.builder().oomAfterBytes(1000).build());

  @AfterEach
  void close() {
    backend.close();
  }

  @Test
  void allocationsSucceedUntilTheThresholdThenFailWithDeviceRequestedAndFree() {
    DeviceBuffer a = backend.allocate(FAULTY0, DType.FLOAT32, 100, "test"); // 400 bytes
    DeviceBuffer b = backend.allocate(FAULTY0, DType.FLOAT32, 100, "test"); // 800 in total
    assertEquals(200, backend.freeMemory(FAULTY0));

    DeviceOutOfMemoryException e =
        assertThrows(
            DeviceOutOfMemoryException.class,
            () -> backend.allocate(FAULTY0, DType.FLOAT32, 100, "test"));
    assertEquals(FAULTY0, e.device());
    assertEquals(400, e.requested());
    assertEquals(200, e.free());
    for (String part : List.of("faulty:0", "400 bytes", "200 B free", "oom-after-bytes = 1000")) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
    }
    assertEquals(
        List.of(new InjectedFault(FAULTY0, 2, "allocate", FaultKind.OUT_OF_MEMORY)),
        backend.faultLog().entries());

    // What still fits is allocated, as on a real device: exactly up to the threshold.
    DeviceBuffer c = backend.allocate(FAULTY0, DType.INT32, 50, "test");
    assertEquals(0, backend.freeMemory(FAULTY0));
    a.release();
    b.release();
    c.release();
  }

  @Test
  void freeingGivesNoBytesBackSoTheScheduleDoesNotDependOnWhenBuffersAreReleased() {
    backend.allocate(FAULTY0, DType.FLOAT32, 250, "test").release(); // all 1000 bytes, freed
    assertThrows(
        DeviceOutOfMemoryException.class,
        () -> backend.allocate(FAULTY0, DType.FLOAT32, 1, "test"));
  }

  @Test
  void outOfMemoryIsRecoverableTheDeviceKeepsWorking() throws Exception {
    DeviceBuffer a = backend.allocate(FAULTY0, DType.FLOAT32, 4, "test");
    assertThrows(
        DeviceOutOfMemoryException.class,
        () -> backend.allocate(FAULTY0, DType.FLOAT32, 1000, "test"));
    float[] out =
        await(
            backend.stream(FAULTY0)
                .submit(
                    ops -> {
                      ops.fill(a, 0, 4, 2f);
                      float[] host = new float[4];
                      ops.copyToHost(a, 0, host, 0, 4);
                      return host;
                    }));
    assertArrayEquals(new float[] {2f, 2f, 2f, 2f}, out);
    a.release();
  }
}
