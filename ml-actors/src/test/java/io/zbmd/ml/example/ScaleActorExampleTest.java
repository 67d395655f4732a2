package io.zbmd.ml.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.actor.SerialDeviceWork;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.junit.jupiter.api.Test;

/**
 * How to write a device actor of your own, outside zbmd's packages: {@link ScaleActor} owns one
 * device buffer (accounted to it by {@link OwnedBuffers}), runs one work at a time through {@link
 * SerialDeviceWork} (commands sent meanwhile wait in its stash, in order) and frees its memory when
 * it stops, even with a work still in flight.
 */
class ScaleActorExampleTest {
  /** Holds {@code values} on a device; {@code Scale} multiplies them there, {@code Read} reads. */
  static final class ScaleActor extends AbstractBehavior<ScaleActor.Command> {
    interface Command {}

    record Scale(float factor) implements Command {}

    record Read(ActorRef<float[]> replyTo) implements Command {}

    private record WorkFinished(Runnable deliver) implements Command {}

    private final SerialDeviceWork<Command> work;
    private final OwnedBuffers owned;
    private final DeviceBuffer buffer;
    private final int n;

    static Behavior<Command> create(DeviceId device, float[] values) {
      return Behaviors.withStash(100, stash -> Behaviors.setup(
          ctx -> new ScaleActor(ctx, stash, device, values)));
    }

    private ScaleActor(
        ActorContext<Command> ctx, StashBuffer<Command> stash, DeviceId device, float[] values) {
      super(ctx);
      GpuExtension gpu = GpuExtension.get(ctx.getSystem());
      this.owned = OwnedBuffers.create(gpu, ctx);
      this.n = values.length;
      this.buffer = owned.allocate(device, DType.FLOAT32, n);
      this.work = new SerialDeviceWork<>(ctx, stash, gpu.stream(device), WorkFinished::new);
      work.run(ops -> {
            ops.copyFromHost(values, 0, buffer, 0, n);
            return null;
          },
          (v, err) -> () -> {});
    }

    @Override
    public Receive<Command> createReceive() {
      return newReceiveBuilder()
          .onMessage(WorkFinished.class, m -> work.finished(this, m.deliver()))
          .onMessage(Command.class, c -> work.deferIfBusy(c) ? this : onCommand(c))
          .onSignal(PostStop.class, s -> {
            work.afterStop(owned::close);
            return this;
          })
          .build();
    }

    private Behavior<Command> onCommand(Command c) {
      if (c instanceof Scale s) {
        work.run(ops -> {
              ops.affine(buffer, buffer, n, s.factor(), 0f);
              return null;
            },
            (v, err) -> () -> {});
      } else if (c instanceof Read r) {
        float[] out = new float[n];
        work.run(ops -> {
              ops.copyToHost(buffer, 0, out, 0, n);
              return out;
            },
            // Delivered on the actor's thread once the device is done: out is filled by then.
            (v, err) -> () -> r.replyTo().tell(err == null ? v : new float[0]));
      }
      return this;
    }
  }

  @Test
  void aDeviceActorOfYourOwnRunsItsWorksInOrderAndFreesItsMemory() {
    ActorTestKit kit = ActorTestKit.create("scale-example",
        Zbmd.config(ConfigFactory.parseString("zbmd.gpu.backends = [cpu]")));
    try {
      GpuExtension gpu = GpuExtension.get(kit.system());
      DeviceId cpu = gpu.defaultDevice().id();
      ActorRef<ScaleActor.Command> actor =
          kit.spawn(ScaleActor.create(cpu, new float[] {1, 2, 3}), "scale", gpu.props(cpu));
      TestProbe<float[]> reads = kit.createTestProbe();
      // Sent at once: the actor runs them one after the other.
      for (float f : List.of(2f, 10f)) {
        actor.tell(new ScaleActor.Scale(f));
      }
      actor.tell(new ScaleActor.Read(reads.getRef()));
      assertArrayEquals(new float[] {20, 40, 60}, reads.receiveMessage(Duration.ofSeconds(10)));
      assertEquals(12, gpu.memory(cpu).used());
      kit.stop(actor);
      reads.awaitAssert(() -> {
        assertEquals(0, gpu.memory(cpu).used());
        return null;
      });
    } finally {
      kit.shutdownTestKit();
    }
  }
}
