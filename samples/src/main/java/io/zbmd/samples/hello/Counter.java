package io.zbmd.samples.hello;

import java.io.PrintStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A supervised worker with state: it counts {@link Increment}s and crashes on {@link Crash}, so
 * that its supervisor restarts it with a fresh count.
 */
public final class Counter extends AbstractBehavior<Counter.Command> {
  /** Messages the counter understands. */
  public interface Command {}

  /** Adds one and replies with the new count. */
  public record Increment(ActorRef<Integer> replyTo) implements Command {}

  /** Makes the counter throw, as a bug would. */
  public enum Crash implements Command { INSTANCE }

  private final PrintStream out;
  private int count;

  public static Behavior<Command> create(PrintStream out) {
    return Behaviors.setup(ctx -> new Counter(ctx, out));
  }

  private Counter(ActorContext<Command> ctx, PrintStream out) {
    super(ctx);
    this.out = out;
    out.println("  [counter] started at " + ctx.getSelf().path() + " with count 0");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Increment.class, m -> {
          m.replyTo().tell(++count);
          return this;
        })
        .onMessageEquals(Crash.INSTANCE, () -> {
          throw new IllegalStateException("counter crashed on purpose at count " + count);
        })
        .onSignal(PostStop.class, s -> {
          out.println("  [counter] stopped (count was " + count + ")");
          return this;
        })
        .build();
  }
}
