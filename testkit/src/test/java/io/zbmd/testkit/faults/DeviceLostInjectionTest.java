package io.zbmd.testkit.faults;

import static io.zbmd.testkit.faults.FaultTesting.FAULTY0;
import static io.zbmd.testkit.faults.FaultTesting.await;
import static io.zbmd.testkit.faults.FaultTesting.cpu;
import static io.zbmd.testkit.faults.FaultTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code lost-at-op}: op K loses the device, and everything after fails fast. */
class DeviceLostInjectionTest {
  private final FaultInjectingBackend backend =
      FaultInjectingBackend.wrap(cpu(), FaultPlan.builder().seed(3).lostAtOp(2).build());
  private final DeviceStream stream = backend.stream(FAULTY0);
  private final DeviceBuffer a = backend.allocate(FAULTY0, DType.FLOAT32, 8, "test");

  @AfterEach
  void close() {
    backend.close();
  }

  private DeviceLostException loseTheDevice() throws Exception {
    await(
        stream.submit(
            ops -> {
              ops.fill(a, 0, 8, 1f); // op 0
              ops.copy(a, 0, a, 4, 4); // op 1
              return null;
            }));
    AtomicBoolean reachedOp3 = new AtomicBoolean();
    DeviceLostException lost =
        failure(
            stream.submit(
                ops -> {
                  ops.fill(a, 0, 8, 5f); // op 2: lost here
                  reachedOp3.set(true);
                  return null;
                }),
            DeviceLostException.class);
    assertFalse(reachedOp3.get());
    return lost;
  }

  @Test
  void opKFailsWithDeviceLostNamingTheOpAndIndex() throws Exception {
    DeviceLostException e = loseTheDevice();
    assertEquals(FAULTY0, e.device());
    assertTrue(e.getMessage().contains("op #2 (fill)"), e.getMessage());
    assertTrue(e.getMessage().contains("seed 3"), e.getMessage());
    assertTrue(backend.isLost(FAULTY0));
    assertEquals(
        List.of(new InjectedFault(FAULTY0, 2, "fill", FaultKind.DEVICE_LOST)),
        backend.faultLog().entries());
  }

  @Test
  void everyLaterSubmitFailsImmediatelyWithoutRunningTheWork() throws Exception {
    DeviceLostException original = loseTheDevice();
    for (int i = 0; i < 3; i++) {
      AtomicBoolean ran = new AtomicBoolean();
      CompletableFuture<Object> stage =
          stream
              .submit(
                  ops -> {
                    ran.set(true);
                    return null;
                  })
              .toCompletableFuture();
      // Already failed when submit returns: nothing was queued.
      assertTrue(stage.isCompletedExceptionally());
      assertSame(original, failure(stage, DeviceLostException.class).getCause());
      assertFalse(ran.get());
    }
    // The device stays lost; the fail-fast refusals are not logged as new faults.
    assertEquals(1, backend.faultLog().size());
  }

  @Test
  void everyLaterAllocateFailsFast() throws Exception {
    DeviceLostException original = loseTheDevice();
    DeviceLostException e =
        assertThrows(
            DeviceLostException.class, () -> backend.allocate(FAULTY0, DType.FLOAT32, 1, "test"));
    assertSame(original, e.getCause());
    assertTrue(e.getMessage().contains("allocate"), e.getMessage());
  }

  @Test
  void workQueuedBeforeTheLossFailsWhenItStarts() throws Exception {
    CountDownLatch hold = new CountDownLatch(1);
    await(
        stream.submit(
            ops -> {
              ops.fill(a, 0, 8, 1f);
              ops.fill(a, 0, 8, 2f);
              return null;
            }));
    // The stream runs in order: the blocker holds it while the next two are queued.
    stream.submit(
        ops -> {
          hold.await();
          return null;
        });
    var losing =
        stream.submit(
            ops -> {
              ops.fill(a, 0, 8, 3f); // op 2
              return null;
            });
    AtomicBoolean ran = new AtomicBoolean();
    var queued =
        stream.submit(
            ops -> {
              ran.set(true);
              return null;
            });
    hold.countDown();
    failure(losing, DeviceLostException.class);
    failure(queued, DeviceLostException.class);
    assertFalse(ran.get());
  }
}
