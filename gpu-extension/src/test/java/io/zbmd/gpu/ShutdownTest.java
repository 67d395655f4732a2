package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/** Backends close when the system terminates, after the device actors have stopped. */
class ShutdownTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");

  @Test
  void backendsCloseAfterTheDeviceActorsStopped() {
    ActorTestKit kit =
        TestSystems.kit(
            "shutdown",
            """
            zbmd.gpu.backends = [recording]
            zbmd.gpu.recording.tag = shutdown
            """);
    GpuExtension gpu = GpuExtension.get(kit.system());
    TestBackends.RecordingBackend backend = TestBackends.RECORDING.get("shutdown");
    TestProbe<String> started = kit.createTestProbe();
    kit.spawn(
        Behaviors.setup(
            ctx -> {
              OwnedBuffers owned = OwnedBuffers.create(gpu, ctx);
              owned.allocate(CPU0, DType.FLOAT32, 256);
              started.getRef().tell("started");
              return Behaviors.receive(Object.class)
                  .onSignal(
                      PostStop.class,
                      s -> {
                        owned.close();
                        backend.events.add(
                            "device actor stopped with "
                                + gpu.memory(CPU0).used()
                                + " bytes in use");
                        return Behaviors.same();
                      })
                  .build();
            }),
        "device-actor",
        gpu.props(CPU0));
    started.expectMessage("started");

    kit.shutdownTestKit();

    List<String> events = backend.events;
    assertTrue(events.get(0).startsWith("bind cpu:0 on zbmd-device-cpu-0"), events::toString);
    assertEquals(
        List.of("device actor stopped with 0 bytes in use", "close"),
        events.subList(events.size() - 2, events.size()));
  }
}
