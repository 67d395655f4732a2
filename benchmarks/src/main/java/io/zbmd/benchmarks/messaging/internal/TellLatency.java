package io.zbmd.benchmarks.messaging.internal;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.annotation.InternalApi;

/**
 * One-way tell latency: a thread outside the actor system stamps {@link System#nanoTime()} into a
 * message, tells it, and pauses before the next one; the receiving actor subtracts the stamp. The
 * pause keeps the receiver idle between messages, so each sample is the cost of delivering a tell
 * to an idle actor (enqueue, scheduling, waking a dispatcher thread), not time spent in a queue.
 */
@InternalApi
public final class TellLatency {
  private TellLatency() {}

  record Stamp(long sentAt, int index) {}

  /** {@code samples} one-way latencies in nanoseconds, sorted ascending. */
  public static long[] run(Spawner spawner, int samples, long pauseMicros) {
    CompletableFuture<long[]> done = new CompletableFuture<>();
    ActorRef<Stamp> receiver = spawner.spawn(receiver(samples, done), "latency");
    long pauseNanos = pauseMicros * 1_000;
    for (int i = 0; i < samples; i++) {
      receiver.tell(new Stamp(System.nanoTime(), i));
      LockSupport.parkNanos(pauseNanos);
    }
    long[] latencies = Spawner.join(done);
    Arrays.sort(latencies);
    return latencies;
  }

  private static Behavior<Stamp> receiver(int samples, CompletableFuture<long[]> done) {
    long[] latencies = new long[samples];
    return Behaviors.receiveMessage(stamp -> {
      latencies[stamp.index()] = System.nanoTime() - stamp.sentAt();
      // One sender, so tells arrive in order: the last index is the last message.
      if (stamp.index() == samples - 1) {
        done.complete(latencies);
        return Behaviors.stopped();
      }
      return Behaviors.same();
    });
  }

  /** The {@code q}-quantile (0..1) of ascending {@code sorted}: the nearest-rank method. */
  public static long quantile(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
