package io.zbmd.ml.actor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.TensorActor.Command;
import io.zbmd.ml.actor.TensorActor.Computed;
import io.zbmd.ml.actor.TensorActor.Failed;
import io.zbmd.ml.actor.TensorActor.Migrated;
import io.zbmd.ml.actor.TensorActor.OnHost;
import io.zbmd.ml.actor.TensorActor.Result;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tensors as actors: matmul and add between actors on one device, values back to the host, and
 * migration to a second device (testkit's fault-free {@code faulty:0} over the CPU).
 */
class TensorActorTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final DeviceId OTHER = DeviceId.parse("faulty:0");
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static ActorTestKit kit;
  private static GpuExtension gpu;
  private static int spawned;

  @BeforeAll
  static void start() {
    kit =
        ActorTestKit.create(
            "tensor-actor",
            Zbmd.config(
                ConfigFactory.parseString(
                    """
                    zbmd.gpu.backends = [cpu, faulty]
                    zbmd.gpu.faulty { delegate = cpu, failure-probability = 0 }
                    """)));
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ActorRef<Command> tensor(DeviceId device, int[] shape, float... values) {
    return kit.spawn(
        TensorActor.create(device, HostTensor.ofFloats(shape, values)),
        "tensor-" + (++spawned),
        gpu.props(device));
  }

  private static Result ask(
      ActorRef<Command> target, java.util.function.Function<ActorRef<Result>, Command> msg) {
    TestProbe<Result> probe = kit.createTestProbe();
    target.tell(msg.apply(probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  private static float[] values(ActorRef<Command> t) {
    return assertInstanceOf(OnHost.class, ask(t, TensorActor.ToHost::new)).tensor().toFloats();
  }

  @Test
  void matMulAndAddBetweenTensorActors() {
    ActorRef<Command> a = tensor(CPU0, new int[] {2, 3}, 1, 2, 3, 4, 5, 6);
    ActorRef<Command> b = tensor(CPU0, new int[] {3, 2}, 1, 0, 0, 1, 1, 1);
    ActorRef<Command> c = tensor(CPU0, new int[] {2, 2}, 10, 20, 30, 40);
    Computed p = assertInstanceOf(Computed.class, ask(a, r -> new TensorActor.MatMul(b, r)));
    assertArrayEquals(new int[] {2, 2}, p.shape());
    assertArrayEquals(new float[] {4, 5, 10, 11}, values(a));
    assertInstanceOf(Computed.class, ask(a, r -> new TensorActor.Add(c, r)));
    assertArrayEquals(new float[] {14, 25, 40, 51}, values(a));
    assertArrayEquals(new float[] {1, 0, 0, 1, 1, 1}, values(b)); // the operand is unchanged

    Failed f = assertInstanceOf(Failed.class, ask(a, r -> new TensorActor.MatMul(b, r)));
    assertTrue(f.cause().getMessage().contains("[2, 2] by [3, 2]"), f.cause().getMessage());
    assertArrayEquals(new float[] {14, 25, 40, 51}, values(a)); // unchanged by the failure
    kit.stop(a);
    kit.stop(b);
    kit.stop(c);
  }

  @Test
  void migrationMovesTheValuesToTheOtherDevice() {
    ActorRef<Command> a = tensor(CPU0, new int[] {2, 2}, 1, 2, 3, 4);
    Migrated m =
        assertInstanceOf(Migrated.class, ask(a, r -> new TensorActor.MigrateTo(OTHER, r)));
    assertEquals(OTHER, m.device());
    assertArrayEquals(new float[] {1, 2, 3, 4}, values(m.tensor()));
    TestProbe<Object> probe = kit.createTestProbe();
    probe.expectTerminated(a, WAIT); // the old one stopped and freed its buffer

    // Operands must share a device.
    ActorRef<Command> b = tensor(CPU0, new int[] {2, 2}, 1, 1, 1, 1);
    Failed f = assertInstanceOf(Failed.class, ask(b, r -> new TensorActor.Add(m.tensor(), r)));
    assertTrue(f.cause().getMessage().contains("faulty:0"), f.cause().getMessage());
    kit.stop(b);
    m.tensor().tell(TensorActor.Stop.INSTANCE); // a system actor: not the test's child
    probe.awaitAssert(
        WAIT,
        () -> {
          assertEquals(0, gpu.memory(CPU0).used());
          assertEquals(0, gpu.memory(OTHER).used());
          return null;
        });
  }
}
