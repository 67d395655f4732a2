package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
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
 * Device actors run on their device's pinned dispatcher: one thread, named after the device, bound
 * to it once by the backend, with the bounded device mailbox; device work runs on the device's
 * stream, off that thread.
 */
class DeviceDispatcherTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static ActorTestKit kit;
  private static GpuExtension gpu;

  @BeforeAll
  static void start() {
    // "recording" is the real CPU backend (device cpu:0) that records which threads it bound.
    kit =
        TestSystems.kit(
            "dispatcher",
            """
            zbmd.gpu.backends = [recording]
            zbmd.gpu.recording.tag = dispatcher
            zbmd.device-mailbox.mailbox-capacity = 4
            """);
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  record Ping(ActorRef<Thread> replyTo) {}

  static Behavior<Ping> threadReporter() {
    return Behaviors.receiveMessage(
        p -> {
          p.replyTo().tell(Thread.currentThread());
          return Behaviors.same();
        });
  }

  @Test
  void actorsOfADeviceAllRunOnItsOneBoundThread() {
    TestProbe<Thread> threads = kit.createTestProbe();
    // A parent spawns its device children with GpuExtension.spawn, as application code does.
    ActorRef<Ping> parent =
        kit.spawn(
            Behaviors.setup(
                ctx -> {
                  List<ActorRef<Ping>> children = new ArrayList<>();
                  for (int i = 0; i < 3; i++) {
                    children.add(gpu.spawn(ctx, threadReporter(), "worker-" + i, CPU0));
                  }
                  return Behaviors.receiveMessage(
                      p -> {
                        children.forEach(c -> c.tell(p));
                        return Behaviors.same();
                      });
                }),
            "parent");
    for (int round = 0; round < 3; round++) {
      parent.tell(new Ping(threads.getRef()));
    }
    Set<Thread> seen = new HashSet<>(threads.receiveSeveralMessages(9));
    assertEquals(1, seen.size(), seen::toString);
    Thread deviceThread = seen.iterator().next();
    assertEquals("zbmd-device-cpu-0", deviceThread.getName());
    // The backend bound exactly that thread, once.
    List<Thread> bound = TestBackends.RECORDING.get("dispatcher").boundThreads;
    assertEquals(1, bound.stream().filter(t -> t == deviceThread).count(), bound::toString);
    kit.stop(parent);
  }

  @Test
  void deviceActorsGetTheBoundedDeviceMailbox() throws Exception {
    TestProbe<Integer> handled = kit.createTestProbe();
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // The first message parks the device thread so that the rest queue in the mailbox (capacity 4).
    ActorRef<Integer> slow =
        kit.spawn(
            Behaviors.<Integer>receiveMessage(
                i -> {
                  if (i == 0) {
                    blocked.countDown();
                    release.await();
                  }
                  handled.getRef().tell(i);
                  return Behaviors.same();
                }),
            "slow",
            gpu.props(CPU0));
    try {
      slow.tell(0);
      blocked.await();
      for (int i = 1; i <= 10; i++) {
        slow.tell(i);
      }
    } finally {
      release.countDown();
    }
    assertEquals(List.of(0, 1, 2, 3, 4), handled.receiveSeveralMessages(5));
    handled.expectNoMessage(Duration.ofMillis(200)); // 5..10 went to dead letters
    kit.stop(slow);
  }

  // ---- device work is asynchronous: pipeToSelf, never blocking the device thread ----

  interface Command {}

  record Multiply(ActorRef<Product> replyTo) implements Command {}

  private record Multiplied(
      float[] c, Thread workThread, Thread requestThread, ActorRef<Product> replyTo)
      implements Command {}

  private record WorkFailed(Throwable error, ActorRef<Product> replyTo) implements Command {}

  record Product(float[] c, Thread workThread, Thread requestThread, Thread replyThread) {}

  /** Multiplies two 2x2 matrices on the device's stream. */
  static Behavior<Command> multiplier(DeviceId device) {
    return Behaviors.setup(
        ctx -> {
          OwnedBuffers owned = OwnedBuffers.create(ctx);
          DeviceBuffer a = owned.allocate(device, DType.FLOAT32, 4);
          DeviceBuffer b = owned.allocate(device, DType.FLOAT32, 4);
          DeviceBuffer c = owned.allocate(device, DType.FLOAT32, 4);
          DeviceStream stream = GpuExtension.get(ctx.getSystem()).stream(device);
          return Behaviors.receive(Command.class)
              .onMessage(
                  Multiply.class,
                  m -> {
                    Thread requestThread = Thread.currentThread();
                    ctx.pipeToSelf(
                        stream.submit(
                            ops -> {
                              ops.copyFromHost(new float[] {1, 2, 3, 4}, 0, a, 0, 4);
                              ops.copyFromHost(new float[] {5, 6, 7, 8}, 0, b, 0, 4);
                              ops.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
                              float[] out = new float[4];
                              ops.copyToHost(c, 0, out, 0, 4);
                              return new Multiplied(
                                  out, Thread.currentThread(), requestThread, m.replyTo());
                            }),
                        (done, err) -> err == null ? done : new WorkFailed(err, m.replyTo()));
                    return Behaviors.same();
                  })
              .onMessage(
                  Multiplied.class,
                  r -> {
                    r.replyTo()
                        .tell(
                            new Product(
                                r.c(), r.workThread(), r.requestThread(), Thread.currentThread()));
                    return Behaviors.same();
                  })
              .onMessage(
                  WorkFailed.class,
                  f -> {
                    throw new IllegalStateException("gemm failed", f.error());
                  })
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
  void deviceWorkRunsOnTheStreamNotTheDispatcherThread() {
    TestProbe<Product> probe = kit.createTestProbe();
    ActorRef<Command> m = kit.spawn(multiplier(CPU0), "multiplier", gpu.props(CPU0));
    m.tell(new Multiply(probe.getRef()));
    Product p = probe.receiveMessage(Duration.ofSeconds(10));
    assertArrayEquals(new float[] {19, 22, 43, 50}, p.c());
    assertEquals("zbmd-device-cpu-0", p.requestThread().getName());
    assertEquals(p.requestThread(), p.replyThread());
    assertNotEquals(p.requestThread(), p.workThread());
    kit.stop(m);
    probe.awaitAssert(
        () -> {
          assertEquals(0, gpu.memory(CPU0).used());
          return null;
        });
  }
}
