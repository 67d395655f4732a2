package io.zbmd.gpu.internal;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A system actor that watches the actors owning device buffers and tells the extension when one
 * stops, so that it can warn about buffers the actor still holds. A safety net only: actors free
 * what they own in {@code PostStop}, which runs before the watcher hears of the stop.
 */
public final class OwnerWatch {
  /** The watcher's protocol. */
  public interface Command {}

  /** Watch {@code owner} (watching twice is harmless). */
  public record Watch(ActorRef<?> owner) implements Command {}

  private OwnerWatch() {}

  public static Behavior<Command> create(Consumer<ActorRef<?>> onStopped) {
    return Behaviors.setup(
        ctx ->
            Behaviors.receive(Command.class)
                .onMessage(
                    Watch.class,
                    w -> {
                      ctx.watch(w.owner());
                      return Behaviors.same();
                    })
                .onSignal(
                    Terminated.class,
                    t -> {
                      onStopped.accept(t.getRef());
                      return Behaviors.same();
                    })
                .build());
  }
}
