package io.zbmd.benchmarks.messaging.internal;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.annotation.InternalApi;

/**
 * A ring of actors and one token going round it: every hop wakes a different, idle actor, so this
 * is scheduling cost without the luxury of a hot pair.
 */
@InternalApi
public final class Ring {
  private Ring() {}

  interface Command {}

  record Link(ActorRef<Command> next) implements Command {}

  /** The token; the node that receives it with no hops left ends the run. */
  record Token(long hopsLeft, long startedAt) implements Command {}

  /** Nanoseconds that {@code hops} hops took around a ring of {@code actors} actors. */
  public static long run(Spawner spawner, int actors, long hops) {
    CompletableFuture<Long> elapsed = new CompletableFuture<>();
    spawner.spawn(driver(actors, hops, elapsed), "ring");
    return Spawner.join(elapsed);
  }

  /** Sent to the driver when the token has made all its hops. */
  enum Done { INSTANCE }

  // Stopping the driver when the run ends stops the ring with it.
  private static Behavior<Done> driver(int actors, long hops, CompletableFuture<Long> elapsed) {
    return Behaviors.setup(ctx -> {
      ActorRef<Command>[] nodes = newArray(actors);
      for (int i = 0; i < actors; i++) {
        nodes[i] = ctx.spawn(node(ctx.getSelf(), elapsed), "node-" + i);
      }
      // Every Link is enqueued before the token starts, so no node sees the token unlinked.
      for (int i = 0; i < actors; i++) {
        nodes[i].tell(new Link(nodes[(i + 1) % actors]));
      }
      nodes[0].tell(new Token(hops, System.nanoTime()));
      return Behaviors.receiveMessage(done -> Behaviors.stopped());
    });
  }

  private static Behavior<Command> node(ActorRef<Done> driver, CompletableFuture<Long> elapsed) {
    return Behaviors.receive(Command.class)
        .onMessage(Link.class, link -> linked(link.next(), driver, elapsed))
        .build();
  }

  private static Behavior<Command> linked(
      ActorRef<Command> next, ActorRef<Done> driver, CompletableFuture<Long> elapsed) {
    return Behaviors.receive(Command.class)
        .onMessage(Token.class, token -> {
          if (token.hopsLeft() == 0) {
            elapsed.complete(System.nanoTime() - token.startedAt());
            driver.tell(Done.INSTANCE);
            return Behaviors.same();
          }
          next.tell(new Token(token.hopsLeft() - 1, token.startedAt()));
          return Behaviors.same();
        })
        .build();
  }

  @SuppressWarnings("unchecked")
  private static ActorRef<Command>[] newArray(int n) {
    return (ActorRef<Command>[]) new ActorRef<?>[n];
  }
}
