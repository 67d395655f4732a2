package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * A lost device fails fast: allocations, submissions and spawns on it throw DeviceLostException,
 * and the default device moves to the next healthy one. Each test has its own system: loss is
 * permanent.
 */
class DeviceHealthTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final DeviceId FAKE0 = DeviceId.parse("fake:0");

  private static Throwable failureOf(CompletionStage<?> stage) throws Exception {
    ExecutionException e =
        assertThrows(
            ExecutionException.class, () -> stage.toCompletableFuture().get(5, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void markLostMakesEverythingOnTheDeviceFailFast() throws Exception {
    ActorTestKit kit = TestSystems.kit("health", "zbmd.gpu.backends = [cpu]");
    try {
      GpuExtension gpu = GpuExtension.get(kit.system());
      DeviceBuffer before = gpu.allocate(CPU0, DType.FLOAT32, 16, "survivor");
      assertEquals(DeviceHealth.HEALTHY, gpu.health(CPU0));

      gpu.markLost(CPU0, new RuntimeException("uncorrectable ECC error"));

      assertEquals(DeviceHealth.LOST, gpu.health(CPU0));
      DeviceLostException onAllocate =
          assertThrows(
              DeviceLostException.class, () -> gpu.allocate(CPU0, DType.FLOAT32, 16, "late"));
      assertEquals(CPU0, onAllocate.device());
      assertTrue(
          onAllocate.getMessage().contains("uncorrectable ECC error"), onAllocate.getMessage());

      AtomicBoolean ran = new AtomicBoolean();
      Throwable onSubmit =
          failureOf(
              gpu.stream(CPU0)
                  .submit(
                      ops -> {
                        ran.set(true);
                        return null;
                      }));
      assertInstanceOf(DeviceLostException.class, onSubmit);
      assertFalse(ran.get(), "work on a lost device must not run");

      TestProbe<Throwable> spawned = kit.createTestProbe();
      kit.spawn(
          Behaviors.setup(
              ctx -> {
                try {
                  gpu.spawn(ctx, Behaviors.empty(), "late", CPU0);
                  spawned.getRef().tell(new AssertionError("spawned an actor on a lost device"));
                } catch (DeviceLostException e) {
                  spawned.getRef().tell(e);
                }
                return Behaviors.empty();
              }));
      assertInstanceOf(DeviceLostException.class, spawned.receiveMessage());

      // The only device is lost: there is no default, and the error says which device is lost.
      IllegalStateException noDefault =
          assertThrows(IllegalStateException.class, gpu::defaultDevice);
      assertTrue(
          noDefault.getMessage().contains("cpu:0") && noDefault.getMessage().contains("lost"),
          noDefault.getMessage());

      // Buffers allocated before the loss can still be released: accounting goes back to zero.
      before.release();
      assertEquals(0, gpu.memory(CPU0).used());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aDeviceLostExceptionFromWorkMarksTheDeviceLostAndDefaultMovesOn() throws Exception {
    // "fake" (a test backend with one device, fake:0) comes first, so it is the default device.
    ActorTestKit kit = TestSystems.kit("health-work", "zbmd.gpu.backends = [fake, cpu]");
    try {
      GpuExtension gpu = GpuExtension.get(kit.system());
      assertEquals(FAKE0, gpu.defaultDevice().id());

      Throwable failure =
          failureOf(
              gpu.stream(FAKE0)
                  .submit(
                      ops -> {
                        throw new DeviceLostException(
                            FAKE0, "Xid 79: GPU has fallen off the bus", null);
                      }));
      assertInstanceOf(DeviceLostException.class, failure);
      // The stage completes after the health changed: whoever sees the failure sees LOST.
      assertEquals(DeviceHealth.LOST, gpu.health(FAKE0));

      AtomicBoolean ran = new AtomicBoolean();
      assertInstanceOf(
          DeviceLostException.class,
          failureOf(
              gpu.stream(FAKE0)
                  .submit(
                      ops -> {
                        ran.set(true);
                        return null;
                      })));
      assertFalse(ran.get());
      assertEquals(CPU0, gpu.defaultDevice().id()); // skips the lost device
      assertEquals(DeviceHealth.HEALTHY, gpu.health(CPU0));
    } finally {
      kit.shutdownTestKit();
    }
  }
}
