package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Device memory is accounted per device and per owner, limited by {@code memory-limit}; an actor
 * frees what it owns in PostStop, and a buffer handed to another actor lives until both let go.
 */
class MemoryAccountingTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final long MIB = 1L << 20;
  private static ActorTestKit kit;
  private static GpuExtension gpu;

  @BeforeAll
  static void start() {
    kit =
        TestSystems.kit(
            "memory",
            """
            zbmd.gpu.backends = [cpu]
            zbmd.gpu.devices.cpu-0.memory-limit = 1 MiB
            """);
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void anAllocationBeyondTheLimitFailsTypedAndChangesNothing() {
    DeviceBuffer quarter = gpu.allocate(CPU0, DType.FLOAT32, MIB / 16, "trainer"); // 256 KiB
    try {
      MemoryUsage before = gpu.memory(CPU0);
      assertEquals(MIB, before.limit());
      assertEquals(MIB / 4, before.used());
      assertEquals(Map.of("trainer", MIB / 4), before.byOwner());

      DeviceOutOfMemoryException e =
          assertThrows(
              DeviceOutOfMemoryException.class,
              () -> gpu.allocate(CPU0, DType.FLOAT32, MIB / 4, "trainer")); // 1 MiB more
      assertEquals(CPU0, e.device());
      assertEquals(MIB, e.requested());
      assertEquals(3 * MIB / 4, e.free());
      String m = e.getMessage();
      for (String part :
          new String[] {
            "cpu:0",
            "1048576 bytes",
            "768.0 KiB free",
            "trainer",
            "zbmd.gpu.devices.cpu-0.memory-limit"
          }) {
        assertTrue(m.contains(part), () -> "'" + m + "' should mention " + part);
      }
      assertEquals(before, gpu.memory(CPU0)); // the failed attempt left no trace
    } finally {
      quarter.release();
    }
    assertEquals(0, gpu.memory(CPU0).used());
    assertEquals(Map.of(), gpu.memory(CPU0).byOwner());
  }

  @Test
  void sizesThatAreNotPositiveAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> gpu.allocate(CPU0, DType.FLOAT32, 0, "x"));
    assertThrows(
        IllegalArgumentException.class,
        () -> gpu.allocate(CPU0, DType.FLOAT32, Long.MAX_VALUE, "x"));
    assertEquals(0, gpu.memory(CPU0).used());
  }

  // ---- ownership: allocate with OwnedBuffers, hand over retained, free in PostStop ----

  interface Command {}

  record HandOver(ActorRef<Command> to) implements Command {}

  record Take(DeviceBuffer buffer, ActorRef<Long> replyTo) implements Command {}

  enum Stop implements Command {
    INSTANCE
  }

  /** Owns two buffers; hands one (retained) to another actor on request. */
  static Behavior<Command> producer(TestProbe<Long> acks) {
    return Behaviors.setup(
        ctx -> {
          OwnedBuffers owned = OwnedBuffers.create(ctx);
          DeviceBuffer shared = owned.allocate(CPU0, DType.FLOAT32, 1024);
          owned.allocate(CPU0, DType.FLOAT32, 2048); // private scratch
          return Behaviors.receive(Command.class)
              .onMessage(
                  HandOver.class,
                  h -> {
                    // Netty's rule: the sender retains, the receiver releases.
                    h.to()
                        .tell(
                            new Take(
                                shared.retain().touch("handed to " + h.to().path().name()),
                                acks.getRef()));
                    return Behaviors.same();
                  })
              .onMessage(Stop.class, s -> Behaviors.stopped())
              .onSignal(
                  PostStop.class,
                  s -> {
                    owned.close();
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** Adopts what it is given; lets go of it when it stops. */
  static Behavior<Command> consumer() {
    return Behaviors.setup(
        ctx -> {
          OwnedBuffers owned = OwnedBuffers.create(ctx);
          return Behaviors.receive(Command.class)
              .onMessage(
                  Take.class,
                  t -> {
                    owned.adopt(t.buffer());
                    t.replyTo().tell(t.buffer().byteSize());
                    return Behaviors.same();
                  })
              .onMessage(Stop.class, s -> Behaviors.stopped())
              .onSignal(
                  PostStop.class,
                  s -> {
                    owned.close();
                    return Behaviors.same();
                  })
              .build();
        });
  }

  @Test
  void actorsFreeWhatTheyOwnWhenTheyStop() {
    TestProbe<Long> acks = kit.createTestProbe();
    TestProbe<Object> watcher = kit.createTestProbe();
    ActorRef<Command> producer = kit.spawn(producer(acks), "producer", gpu.props(CPU0));
    ActorRef<Command> consumer = kit.spawn(consumer(), "consumer", gpu.props(CPU0));
    producer.tell(new HandOver(consumer));
    assertEquals(4096L, acks.receiveMessage());
    MemoryUsage live = gpu.memory(CPU0);
    assertEquals(3 * 4096L, live.used());
    assertEquals(Map.of(producer.path().toString(), 3 * 4096L), live.byOwner());

    // The producer stops: its scratch buffer is freed; the shared one lives on in the consumer.
    producer.tell(Stop.INSTANCE);
    watcher.expectTerminated(producer);
    assertEquals(4096L, gpu.memory(CPU0).used());

    consumer.tell(Stop.INSTANCE);
    watcher.expectTerminated(consumer);
    acks.awaitAssert(
        () -> {
          assertEquals(0, gpu.memory(CPU0).used());
          assertFalse(gpu.memory(CPU0).byOwner().containsKey(producer.path().toString()));
          return null;
        });
  }
}
