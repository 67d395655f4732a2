package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/** The device dispatcher is an ordinary Pekko dispatcher block: its executor is pluggable. */
class DeviceDispatcherConfigTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");

  @Test
  void pekkosThreadPoolExecutorCanStandInForTheDefaultOne() {
    ActorTestKit kit =
        TestSystems.kit(
            "dispatcher-config",
            """
            zbmd.gpu.backends = [cpu]
            zbmd.gpu.device-dispatcher {
              executor = thread-pool-executor
              thread-pool-executor.fixed-pool-size = 1
            }
            """);
    try {
      GpuExtension gpu = GpuExtension.get(kit.system());
      TestProbe<String> names = kit.createTestProbe();
      ActorRef<String> a =
          kit.spawn(
              Behaviors.<String>receiveMessage(
                  m -> {
                    names.getRef().tell(Thread.currentThread().getName());
                    return Behaviors.same();
                  }),
              gpu.props(CPU0));
      a.tell("which thread?");
      assertEquals("zbmd-device-cpu-0", names.receiveMessage());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aPinnedDispatcherIsRefusedNamingTheKey() {
    ActorTestKit kit =
        TestSystems.kit(
            "dispatcher-pinned",
            """
            zbmd.gpu.backends = [cpu]
            zbmd.gpu.device-dispatcher.type = PinnedDispatcher
            """);
    try {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> GpuExtension.get(kit.system()));
      assertTrue(e.getMessage().contains("zbmd.gpu.device-dispatcher.type"), e.getMessage());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
