package io.zbmd.benchmarks.messaging.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.annotation.InternalApi;

/** Spawns top-level actors in a system whose guardian speaks {@link SpawnProtocol}. */
@InternalApi
public final class Spawner {
  /** Longest any one workload may take before the benchmark gives up on it. */
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final ActorSystem<SpawnProtocol.Command> system;
  private final AtomicInteger next = new AtomicInteger();

  public Spawner(ActorSystem<SpawnProtocol.Command> system) {
    this.system = system;
  }

  /** Spawns {@code behavior} under a unique name starting with {@code prefix}. */
  <T> ActorRef<T> spawn(Behavior<T> behavior, String prefix) {
    String name = prefix + "-" + next.incrementAndGet();
    return join(AskPattern.<SpawnProtocol.Command, ActorRef<T>>ask(
            system,
            replyTo -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), replyTo),
            TIMEOUT,
            system.scheduler())
        .toCompletableFuture());
  }

  /** The future's value, or an exception naming the timeout if the workload hangs. */
  static <T> T join(CompletableFuture<T> future) {
    try {
      return future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a workload", e);
    } catch (Exception e) {
      throw new IllegalStateException("workload did not finish within " + TIMEOUT, e);
    }
  }
}
