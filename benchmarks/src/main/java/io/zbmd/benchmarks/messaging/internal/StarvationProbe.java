package io.zbmd.benchmarks.messaging.internal;

import io.zbmd.benchmarks.messaging.Variant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.annotation.InternalApi;

/**
 * Shows whether actors that never run out of messages starve the other actors of the default
 * dispatcher: starts {@code busy} actors that each do 20 us of work per message and tell
 * themselves the next one, then tells a probe actor 1,000 times, 1 ms apart, and counts what it
 * received. docs/benchmarks.md explains why this picked the fork-join pool size.
 *
 * <pre>{@code
 * java -cp ... io.zbmd.benchmarks.messaging.internal.StarvationProbe 2 zbmd pekko \
 *     'two=pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 2'
 * }</pre>
 */
@InternalApi
public final class StarvationProbe {
  private static final int PROBES = 1_000;

  private StarvationProbe() {}

  enum Work { INSTANCE }

  record Stamp(long sentAt) {}

  /** Arguments: the number of busy actors, then variants: zbmd, pekko or NAME=HOCON over zbmd. */
  public static void main(String[] args) throws Exception {
    int busy = Integer.parseInt(args[0]);
    for (String spec : Arrays.copyOfRange(args, 1, args.length)) {
      Variant variant = switch (spec) {
        case Variant.ZBMD_NAME -> Variant.zbmd();
        case Variant.PEKKO_NAME -> Variant.pekko();
        default -> Variant.zbmd(spec.substring(0, spec.indexOf('=')),
            spec.substring(spec.indexOf('=') + 1));
      };
      System.out.println(variant.name() + ", " + busy + " busy actors: " + probe(variant, busy));
    }
    // A starved dispatcher keeps its threads busy for good; only exiting stops them.
    System.exit(0);
  }

  private static String probe(Variant variant, int busy) throws Exception {
    ActorSystem<SpawnProtocol.Command> system =
        variant.start(SpawnProtocol.create(), "starvation-" + variant.name());
    Spawner spawner = new Spawner(system);
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    ActorRef<Stamp> probe = spawner.spawn(Behaviors.receiveMessage(stamp -> {
      latencies.add(System.nanoTime() - stamp.sentAt());
      return Behaviors.same();
    }), "probe");
    List<ActorRef<Work>> loops = new ArrayList<>();
    for (int i = 0; i < busy; i++) {
      loops.add(spawner.spawn(Behaviors.<Work>receive((ctx, work) -> {
        long end = System.nanoTime() + 20_000;
        while (System.nanoTime() < end) {
          Thread.onSpinWait();
        }
        ctx.getSelf().tell(work);
        return Behaviors.same();
      }), "busy"));
    }
    loops.forEach(loop -> loop.tell(Work.INSTANCE));
    Thread.sleep(100);
    for (int i = 0; i < PROBES; i++) {
      probe.tell(new Stamp(System.nanoTime()));
      LockSupport.parkNanos(1_000_000);
    }
    Thread.sleep(1_000);
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    system.terminate();
    String stopped = "";
    try {
      system.getWhenTerminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      stopped = " (the system did not terminate within 5 s)";
    }
    if (sorted.length == 0) {
      return "probe received 0 of " + PROBES + stopped;
    }
    return String.format("probe received %d of %d, latency p50 %.1f us, p99 %.1f us%s",
        sorted.length, PROBES, TellLatency.quantile(sorted, 0.5) / 1e3,
        TellLatency.quantile(sorted, 0.99) / 1e3, stopped);
  }
}
