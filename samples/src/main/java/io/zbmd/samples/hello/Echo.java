package io.zbmd.samples.hello;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** The smallest useful actor: answers every {@link Say} with the same text. */
public final class Echo {
  /** Messages the echo actor understands. */
  public interface Command {}

  /** Asks the echo actor to repeat {@code text} to {@code replyTo}. */
  public record Say(String text, ActorRef<Said> replyTo) implements Command {}

  /** The echo. */
  public record Said(String text) {}

  private Echo() {}

  public static Behavior<Command> create() {
    return Behaviors.receive(Command.class)
        .onMessage(Say.class, m -> {
          m.replyTo().tell(new Said(m.text()));
          return Behaviors.same();
        })
        .build();
  }
}
