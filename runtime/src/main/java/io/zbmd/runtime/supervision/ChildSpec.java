package io.zbmd.runtime.supervision;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;

/**
 * How a {@link Supervisor} starts, restarts and stops one child, as an OTP child spec.
 *
 * <p>{@code behavior} is called for every start, so that each incarnation gets a fresh behavior;
 * the child may have any message type. A child counts as started when its setup has run (a {@link
 * Type#SUPERVISOR} child: when its own children have started); only then does the next one start.
 * The supervisor stops a worker with {@code ctx.stop}, or by sending it {@code stopMessage} when
 * there is one, and then waits up to {@code shutdownTimeout} for its {@code Terminated} before it
 * stops the next one. Specs are immutable; the {@code with*} methods return changed copies.
 *
 * <pre>{@code
 * ChildSpec db = ChildSpec.permanent("db", Db::create);
 * ChildSpec job = ChildSpec.create("job", Restart.TRANSIENT, () -> Job.create(config))
 *     .withShutdownTimeout(Duration.ofSeconds(30))
 *     .withProps(ZbmdMailboxes.device());
 * ChildSpec workers = ChildSpec.supervisor("workers", workersSpec);
 * }</pre>
 *
 * @param id unique among the children of one supervisor; also names the child actor
 * @param behavior creates the behavior of each incarnation
 * @param restart when the child is restarted after it ended
 * @param shutdownTimeout how long to wait for the child to terminate when stopping it, or {@link
 *     #INFINITY}
 * @param type whether the child is a worker or a {@link Supervisor} made by {@link
 *     #supervisor(String, SupervisorSpec)}
 * @param props mailbox and dispatcher of the child
 * @param stopMessage sent to ask a worker to stop, instead of {@code ctx.stop}; when the timeout
 *     expires the supervisor falls back to {@code ctx.stop}
 */
public record ChildSpec(
    String id,
    Supplier<? extends Behavior<?>> behavior,
    Restart restart,
    Duration shutdownTimeout,
    Type type,
    Props props,
    Optional<Object> stopMessage) {

  /** What the child is, as OTP's child type: it decides how it is started and stopped. */
  public enum Type {
    /** Any behavior: started when its setup has run, stopped by ctx.stop or its stop message. */
    WORKER,
    /**
     * A {@link Supervisor}: started when its children have started, stopped by a graceful shutdown
     * so that its children stop in reverse order too.
     */
    SUPERVISOR
  }

  /**
   * A shutdown timeout that never expires: the supervisor waits as long as the child takes. (So
   * does any timeout over 200 days, beyond what Pekko's scheduler can time.)
   */
  public static final Duration INFINITY = ChronoUnit.FOREVER.getDuration();

  /** How long a worker gets to stop unless its spec says otherwise (OTP's 5000 ms). */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

  public ChildSpec {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("A child spec needs a non-empty id");
    }
    Objects.requireNonNull(behavior, () -> "behavior of child [" + id + "]");
    Objects.requireNonNull(restart, () -> "restart of child [" + id + "]");
    Objects.requireNonNull(shutdownTimeout, () -> "shutdownTimeout of child [" + id + "]");
    if (shutdownTimeout.isNegative() || shutdownTimeout.isZero()) {
      throw new IllegalArgumentException(
          "Shutdown timeout of child [" + id + "] must be positive, was " + shutdownTimeout);
    }
    Objects.requireNonNull(type, () -> "type of child [" + id + "]");
    Objects.requireNonNull(props, () -> "props of child [" + id + "]");
    Objects.requireNonNull(stopMessage, () -> "stopMessage of child [" + id + "]");
    if (type == Type.SUPERVISOR && stopMessage.isPresent()) {
      throw new IllegalArgumentException(
          "Supervisor child ["
              + id
              + "] is stopped by a graceful shutdown; it takes no stop message");
    }
  }

  /** A child with the given restart type, default props and a 5 s shutdown timeout. */
  public static ChildSpec create(
      String id, Restart restart, Supplier<? extends Behavior<?>> behavior) {
    return new ChildSpec(
        id,
        behavior,
        restart,
        DEFAULT_SHUTDOWN_TIMEOUT,
        Type.WORKER,
        Props.empty(),
        Optional.empty());
  }

  /** A child that is always restarted. */
  public static ChildSpec permanent(String id, Supplier<? extends Behavior<?>> behavior) {
    return create(id, Restart.PERMANENT, behavior);
  }

  /** A child that is never restarted and forgotten when it ends. */
  public static ChildSpec temporary(String id, Supplier<? extends Behavior<?>> behavior) {
    return create(id, Restart.TEMPORARY, behavior);
  }

  /**
   * A permanent child that is itself a {@link Supervisor}. It is asked to shut down gracefully, so
   * that its own children stop in reverse order too, and it gets as long as that takes.
   */
  public static ChildSpec supervisor(String id, SupervisorSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new ChildSpec(
        id,
        () -> Supervisor.create(spec),
        Restart.PERMANENT,
        INFINITY,
        Type.SUPERVISOR,
        Props.empty(),
        Optional.empty());
  }

  /** This spec with another restart type. */
  public ChildSpec withRestart(Restart restart) {
    return new ChildSpec(id, behavior, restart, shutdownTimeout, type, props, stopMessage);
  }

  /** This spec with another shutdown timeout ({@link #INFINITY} to wait forever). */
  public ChildSpec withShutdownTimeout(Duration shutdownTimeout) {
    return new ChildSpec(id, behavior, restart, shutdownTimeout, type, props, stopMessage);
  }

  /** This spec with props for the child, e.g. a dispatcher or a bounded mailbox. */
  public ChildSpec withProps(Props props) {
    return new ChildSpec(id, behavior, restart, shutdownTimeout, type, props, stopMessage);
  }

  /**
   * This spec with a message that asks the worker to stop, for workers that must finish work first;
   * the worker must stop itself when it gets it. It must be of the worker's message type.
   */
  public ChildSpec withStopMessage(Object stopMessage) {
    return new ChildSpec(
        id, behavior, restart, shutdownTimeout, type, props, Optional.of(stopMessage));
  }
}
