package io.zbmd.benchmarks.messaging.internal;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.annotation.InternalApi;

/**
 * One pair of actors bouncing a message: the cost of a message that wakes an idle actor and of the
 * reply that wakes the first one again. Messages are singletons so that allocation stays out of it.
 */
@InternalApi
public final class PingPong {
  private PingPong() {}

  enum Ping { INSTANCE }

  enum Pong { INSTANCE }

  /** Nanoseconds that {@code roundTrips} round trips took. */
  public static long run(Spawner spawner, long roundTrips) {
    CompletableFuture<Long> elapsed = new CompletableFuture<>();
    spawner.spawn(Behaviors.<Pong>setup(ctx -> new Pinger(ctx, roundTrips, elapsed)), "ping-pong");
    return Spawner.join(elapsed);
  }

  private static Behavior<Ping> ponger(ActorRef<Pong> pinger) {
    return Behaviors.receiveMessage(ping -> {
      pinger.tell(Pong.INSTANCE);
      return Behaviors.same();
    });
  }

  private static final class Pinger extends AbstractBehavior<Pong> {
    private final ActorRef<Ping> ponger;
    private final CompletableFuture<Long> elapsed;
    private final long startedAt;
    private long left;

    Pinger(ActorContext<Pong> ctx, long roundTrips, CompletableFuture<Long> elapsed) {
      super(ctx);
      this.ponger = ctx.spawn(ponger(ctx.getSelf()), "ponger");
      this.elapsed = elapsed;
      this.left = roundTrips;
      this.startedAt = System.nanoTime();
      ponger.tell(Ping.INSTANCE);
    }

    @Override
    public Receive<Pong> createReceive() {
      return newReceiveBuilder().onAnyMessage(this::onPong).build();
    }

    private Behavior<Pong> onPong(Pong pong) {
      if (--left == 0) {
        elapsed.complete(System.nanoTime() - startedAt);
        return Behaviors.stopped();
      }
      ponger.tell(Ping.INSTANCE);
      return this;
    }
  }
}
