package io.zbmd.runtime.supervision;

import io.zbmd.runtime.supervision.internal.SupervisorBehavior;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * An OTP-style supervisor: starts the children of a {@link SupervisorSpec} in order, restarts them
 * by its {@link Strategy} when they end, stops them in reverse order, and fails when restarts
 * exceed its intensity so that its own parent can act.
 *
 * <p>Children are spawned without Pekko supervision, so a child that throws stops and the
 * supervisor decides. Each child starts only after the one before it has run its setup. While it
 * starts or stops children (at start, in a restart round, for {@link StartChild}, {@link
 * RestartChild} or {@link TerminateChild}) the supervisor keeps later commands and handles them
 * when it is done; during {@link Shutdown} it refuses them with {@link
 * ChildError.Reason#SHUTTING_DOWN}. A restart round restarts the siblings that were running; a
 * child terminated with {@link TerminateChild}, or a transient one that ended normally, stays as it
 * is. Ordered shutdown needs {@link Shutdown} (or {@link ChildSpec#supervisor} under a parent
 * supervisor): a supervisor stopped with {@code ctx.stop} loses its children in no particular
 * order, as any Pekko actor. Refs to children have the wildcard type {@code ActorRef<?>}; narrow
 * them with {@code unsafeUpcast}.
 *
 * <pre>{@code
 * ActorRef<Supervisor.Command> sup = ctx.spawn(Supervisor.create(spec), "app");
 * CompletionStage<Supervisor.StartChildReply> started = AskPattern.ask(sup,
 *     replyTo -> new Supervisor.StartChild(ChildSpec.temporary("job-7", Job::create), replyTo),
 *     Duration.ofSeconds(3), system.scheduler());
 * started.thenAccept(reply -> {
 *   if (reply instanceof Supervisor.ChildStarted s) {
 *     ActorRef<Job.Command> job = s.ref().unsafeUpcast();
 *     job.tell(new Job.Run());
 *   }
 * });
 * }</pre>
 */
public final class Supervisor {
  private Supervisor() {}

  /** A supervisor that starts the children of {@code spec} when it starts. */
  public static Behavior<Command> create(SupervisorSpec spec) {
    return SupervisorBehavior.create(Objects.requireNonNull(spec, "spec"));
  }

  /** Messages a supervisor understands. */
  public interface Command {}

  /** Adds a child after the others and starts it; answers once it has started. */
  public record StartChild(ChildSpec spec, ActorRef<StartChildReply> replyTo) implements Command {}

  /** Stops a running child and keeps its spec, so that it can be restarted or deleted. */
  public record TerminateChild(String id, ActorRef<TerminateChildReply> replyTo)
      implements Command {}

  /** Starts a terminated child again from its kept spec; fails if it is running. */
  public record RestartChild(String id, ActorRef<StartChildReply> replyTo) implements Command {}

  /** Forgets the spec of a terminated child; fails if it is running. */
  public record DeleteChild(String id, ActorRef<DeleteChildReply> replyTo) implements Command {}

  /** Asks for every child the supervisor knows, in start order. */
  public record WhichChildren(ActorRef<Children> replyTo) implements Command {}

  /**
   * Stops the children in reverse start order, each within its shutdown timeout, then the
   * supervisor; {@code Done} is sent when the last child is gone.
   */
  public record Shutdown(ActorRef<Done> replyTo) implements Command {}

  /** Answer to {@link StartChild} and {@link RestartChild}. */
  public sealed interface StartChildReply permits ChildStarted, ChildError {}

  /** Answer to {@link TerminateChild}. */
  public sealed interface TerminateChildReply permits ChildTerminated, ChildError {}

  /** Answer to {@link DeleteChild}. */
  public sealed interface DeleteChildReply permits ChildDeleted, ChildError {}

  /** The child {@code id} was started as {@code ref}. */
  public record ChildStarted(String id, ActorRef<?> ref) implements StartChildReply {}

  /** The child {@code id} is not running (any more); its spec is kept unless it was temporary. */
  public record ChildTerminated(String id) implements TerminateChildReply {}

  /** The spec of child {@code id} is gone. */
  public record ChildDeleted(String id) implements DeleteChildReply {}

  /** A command about child {@code id} was refused; {@code message} says why. */
  public record ChildError(String id, Reason reason, String message)
      implements StartChildReply, TerminateChildReply, DeleteChildReply {

    /** Why a command was refused. */
    public enum Reason {
      /** {@link StartChild} with an id the supervisor already has. */
      ALREADY_PRESENT,
      /** No child has the id. */
      NOT_FOUND,
      /** {@link RestartChild} or {@link DeleteChild} of a child that is running. */
      RUNNING,
      /** The child's behavior factory threw; the cause is in the message. */
      START_FAILED,
      /** The supervisor is stopping its children and takes no more commands. */
      SHUTTING_DOWN
    }
  }

  /** Answer to {@link WhichChildren}: every child the supervisor knows, in start order. */
  public record Children(List<ChildInfo> children) {
    public Children {
      children = List.copyOf(children);
    }

    /** The child with the id {@code id}, if the supervisor knows it. */
    public Optional<ChildInfo> find(String id) {
      return children.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /** The ids in start order. */
    public List<String> ids() {
      return children.stream().map(ChildInfo::id).toList();
    }
  }

  /** One child: its ref while it runs, empty while it is terminated but kept. */
  public record ChildInfo(String id, Optional<ActorRef<?>> ref, Restart restart) {
    public boolean running() {
      return ref.isPresent();
    }
  }
}
