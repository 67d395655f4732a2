package io.zbmd.runtime.supervision.internal;

import io.zbmd.runtime.supervision.ChildSpec;
import io.zbmd.runtime.supervision.Restart;
import io.zbmd.runtime.supervision.RestartIntensityExceededException;
import io.zbmd.runtime.supervision.Supervisor.ChildDeleted;
import io.zbmd.runtime.supervision.Supervisor.ChildError;
import io.zbmd.runtime.supervision.Supervisor.ChildError.Reason;
import io.zbmd.runtime.supervision.Supervisor.ChildInfo;
import io.zbmd.runtime.supervision.Supervisor.ChildStarted;
import io.zbmd.runtime.supervision.Supervisor.ChildTerminated;
import io.zbmd.runtime.supervision.Supervisor.Children;
import io.zbmd.runtime.supervision.Supervisor.Command;
import io.zbmd.runtime.supervision.Supervisor.DeleteChild;
import io.zbmd.runtime.supervision.Supervisor.RestartChild;
import io.zbmd.runtime.supervision.Supervisor.Shutdown;
import io.zbmd.runtime.supervision.Supervisor.StartChild;
import io.zbmd.runtime.supervision.Supervisor.StartChildReply;
import io.zbmd.runtime.supervision.Supervisor.TerminateChild;
import io.zbmd.runtime.supervision.Supervisor.WhichChildren;
import io.zbmd.runtime.supervision.SupervisorSpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.annotation.InternalApi;

/**
 * The supervisor's state machine. Everything that starts or stops children is a list of steps run
 * one at a time ({@link #run}): a stop step waits for the child's Terminated or its shutdown
 * timeout, a start step waits for {@link ChildReady}; a continuation runs after the last step.
 * While steps run ({@link Phase#BUSY}) commands are stashed and children outside the steps that end
 * are remembered, so that every decision is taken with all children in a known state.
 */
@InternalApi
public final class SupervisorBehavior extends AbstractBehavior<Command> {
  /** Commands kept during one round; beyond this, commands are dropped with an error log. */
  private static final int STASH_CAPACITY = 10_000;

  private static final Object STOP_TIMER = "stop-timeout";

  /** Pekko's scheduler takes delays up to about 248 days; a longer timeout is as good as none. */
  private static final Duration LONGEST_TIMEOUT = Duration.ofDays(200);

  /** The shutdown timeout of the child {@code ref} expired. */
  private record StopTimedOut(ActorRef<?> ref) implements Command {}

  /** A child ended on its own; {@code cause} is null for a normal end. */
  private record Exit(ChildSlot child, Throwable cause) {}

  private sealed interface Step {
    ChildSlot child();
  }

  private record StopStep(ChildSlot child) implements Step {}

  /** {@code behavior} is null when the factory is to be called when the step runs. */
  private record StartStep(ChildSlot child, Behavior<?> behavior) implements Step {}

  private enum Phase {
    /** All children are started or stopped; commands and exits are handled at once. */
    RUNNING,
    /** Steps run for a start, a restart round or a TerminateChild. */
    BUSY,
    /** Children are being stopped for good; the supervisor stops or fails afterwards. */
    SHUTTING_DOWN
  }

  private final SupervisorSpec spec;
  private final TimerScheduler<Command> timers;
  private final StashBuffer<Command> stash;
  private final RestartIntensity intensity;

  /** In start order; StartChild appends. */
  private final List<ChildSlot> children = new ArrayList<>();

  private final Map<ActorRef<?>, ChildSlot> running = new HashMap<>();
  private final Deque<Exit> deferred = new ArrayDeque<>();
  private final List<ActorRef<Done>> shutdownWaiters = new ArrayList<>();
  private Phase phase = Phase.RUNNING;

  private final Deque<Step> steps = new ArrayDeque<>();

  /** The step whose child we wait for; null between steps. */
  private Step current;

  /** What happens once the last step is done. */
  private Supplier<Behavior<Command>> afterSteps;

  public static Behavior<Command> create(SupervisorSpec spec) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    Behaviors.withStash(
                        STASH_CAPACITY,
                        stash -> new SupervisorBehavior(spec, ctx, timers, stash))));
  }

  private SupervisorBehavior(
      SupervisorSpec spec,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      StashBuffer<Command> stash) {
    super(ctx);
    this.spec = spec;
    this.timers = timers;
    this.stash = stash;
    this.intensity = new RestartIntensity(spec.maxRestarts(), spec.within(), spec.clock());
    List<Step> starts = new ArrayList<>();
    for (ChildSpec childSpec : spec.children()) {
      ChildSlot child = new ChildSlot(childSpec);
      children.add(child);
      starts.add(new StartStep(child, null));
    }
    if (!starts.isEmpty()) {
      phase = Phase.BUSY;
      run(starts, this::endBusy);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ChildReady.class, this::onChildReady)
        .onMessage(StopTimedOut.class, this::onStopTimedOut)
        .onMessage(Command.class, this::onCommand)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  // ---- commands ----

  private Behavior<Command> onCommand(Command command) {
    switch (phase) {
      case BUSY:
        if (stash.isFull()) {
          getContext().getLog().error("Supervisor stash is full; dropping {}", command);
        } else {
          stash.stash(command);
        }
        return this;
      case SHUTTING_DOWN:
        return whileShuttingDown(command);
      default:
        return whileRunning(command);
    }
  }

  private Behavior<Command> whileRunning(Command command) {
    if (command instanceof StartChild c) {
      return onStartChild(c);
    } else if (command instanceof TerminateChild c) {
      return onTerminateChild(c);
    } else if (command instanceof RestartChild c) {
      return onRestartChild(c);
    } else if (command instanceof DeleteChild c) {
      return onDeleteChild(c);
    } else if (command instanceof WhichChildren c) {
      c.replyTo().tell(children());
      return this;
    } else if (command instanceof Shutdown c) {
      shutdownWaiters.add(c.replyTo());
      return shutdown();
    } else if (command instanceof GracefulStop) {
      return shutdown();
    } else if (command instanceof NotifyWhenStarted c) {
      c.replyTo().tell(new ChildReady(getContext().getSelf()));
      return this;
    }
    getContext().getLog().warn("Supervisor ignores unknown command {}", command);
    return this;
  }

  private Behavior<Command> whileShuttingDown(Command command) {
    if (command instanceof WhichChildren c) {
      c.replyTo().tell(children());
    } else if (command instanceof Shutdown c) {
      shutdownWaiters.add(c.replyTo());
    } else if (command instanceof StartChild c) {
      c.replyTo().tell(shuttingDown(c.spec().id()));
    } else if (command instanceof TerminateChild c) {
      c.replyTo().tell(shuttingDown(c.id()));
    } else if (command instanceof RestartChild c) {
      c.replyTo().tell(shuttingDown(c.id()));
    } else if (command instanceof DeleteChild c) {
      c.replyTo().tell(shuttingDown(c.id()));
    }
    // GracefulStop and NotifyWhenStarted: the parent will see the Terminated.
    return this;
  }

  private Behavior<Command> onStartChild(StartChild command) {
    String id = command.spec().id();
    Optional<ChildSlot> existing = find(id);
    if (existing.isPresent()) {
      String state = existing.get().running() ? "running" : "terminated";
      command
          .replyTo()
          .tell(
              error(
                  id, Reason.ALREADY_PRESENT, "Child [" + id + "] already exists (" + state + ")"));
      return this;
    }
    ChildSlot child = new ChildSlot(command.spec());
    Behavior<?> behavior;
    try {
      behavior = newBehavior(child);
    } catch (RuntimeException e) {
      // As in OTP: a child that cannot start is not added.
      command.replyTo().tell(startFailed(id, e.toString()));
      return this;
    }
    children.add(child);
    return startAndReply(child, behavior, command.replyTo(), true);
  }

  private Behavior<Command> onRestartChild(RestartChild command) {
    String id = command.id();
    Optional<ChildSlot> found = find(id);
    if (found.isEmpty()) {
      command.replyTo().tell(notFound(id));
      return this;
    }
    ChildSlot child = found.get();
    if (child.running()) {
      command.replyTo().tell(error(id, Reason.RUNNING, "Child [" + id + "] is running"));
      return this;
    }
    Behavior<?> behavior;
    try {
      behavior = newBehavior(child);
    } catch (RuntimeException e) {
      command.replyTo().tell(startFailed(id, e.toString()));
      return this;
    }
    return startAndReply(child, behavior, command.replyTo(), false);
  }

  /**
   * Starts {@code child} and answers once it has started. If it ends before that, it failed to
   * start: the answer says so and its end is not handled as an exit; a new child is forgotten.
   */
  private Behavior<Command> startAndReply(
      ChildSlot child, Behavior<?> behavior, ActorRef<StartChildReply> replyTo, boolean isNew) {
    phase = Phase.BUSY;
    return run(
        List.of(new StartStep(child, behavior)),
        () -> {
          if (child.running()) {
            replyTo.tell(new ChildStarted(child.id(), child.ref));
          } else {
            Optional<Exit> exit = deferred.stream().filter(e -> e.child() == child).findFirst();
            exit.ifPresent(deferred::remove);
            if (isNew) {
              children.remove(child);
            }
            replyTo.tell(
                startFailed(child.id(), exit.map(e -> describe(e.cause())).orElse("ended")));
          }
          return endBusy();
        });
  }

  private Behavior<Command> onTerminateChild(TerminateChild command) {
    String id = command.id();
    Optional<ChildSlot> found = find(id);
    if (found.isEmpty()) {
      command.replyTo().tell(notFound(id));
      return this;
    }
    ChildSlot child = found.get();
    if (!child.running()) {
      command.replyTo().tell(new ChildTerminated(id));
      return this;
    }
    phase = Phase.BUSY;
    return run(
        List.of(new StopStep(child)),
        () -> {
          command.replyTo().tell(new ChildTerminated(id));
          return endBusy();
        });
  }

  private Behavior<Command> onDeleteChild(DeleteChild command) {
    String id = command.id();
    Optional<ChildSlot> found = find(id);
    if (found.isEmpty()) {
      command.replyTo().tell(notFound(id));
    } else if (found.get().running()) {
      command
          .replyTo()
          .tell(error(id, Reason.RUNNING, "Child [" + id + "] is running; terminate it first"));
    } else {
      children.remove(found.get());
      command.replyTo().tell(new ChildDeleted(id));
    }
    return this;
  }

  private Behavior<Command> shutdown() {
    getContext().getLog().debug("Supervisor shutting down: stopping children in reverse order");
    phase = Phase.SHUTTING_DOWN;
    return run(
        stopsInReverse(runningChildren()),
        () -> {
          shutdownWaiters.forEach(w -> w.tell(Done.getInstance()));
          return Behaviors.stopped();
        });
  }

  // ---- children that start or end ----

  private Behavior<Command> onChildReady(ChildReady ready) {
    if (current instanceof StartStep step && ready.child().equals(step.child().ref)) {
      current = null;
      return next();
    }
    // A late notice from an incarnation that already ended.
    return this;
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    ChildSlot child = running.remove(terminated.getRef());
    if (child == null) {
      // A child given up on after its shutdown timeout, finally gone; its name is free again.
      return this;
    }
    child.ref = null;
    Throwable cause = terminated instanceof ChildFailed f ? f.getCause() : null;
    if (current != null && current.child() == child) {
      Step step = current;
      current = null;
      if (step instanceof StopStep) {
        timers.cancel(STOP_TIMER);
        if (cause != null) {
          getContext()
              .getLog()
              .warn("Child [{}] failed while stopping: {}", child.id(), cause.toString());
        }
        stopped(child);
      } else {
        // It ended before it had started: handled like any exit once the steps are done.
        getContext().getLog().warn("Child [{}] {} while starting", child.id(), describe(cause));
        deferred.addLast(new Exit(child, cause));
      }
      return next();
    }
    if (steps.removeIf(s -> s instanceof StopStep && s.child() == child)) {
      // It ended before its turn: it counts as stopped, not as a new reason to restart.
      getContext()
          .getLog()
          .warn("Child [{}] {} while waiting to be stopped", child.id(), describe(cause));
      stopped(child);
      return this;
    }
    return switch (phase) {
      case RUNNING -> onExit(child, cause);
      case BUSY -> {
        deferred.addLast(new Exit(child, cause));
        yield this;
      }
      case SHUTTING_DOWN -> {
        stopped(child);
        yield this;
      }
    };
  }

  /**
   * A child ended on its own while all others are in a known state: apply its restart type and the
   * strategy. Returns this, or throws when the restart intensity is exceeded and nothing is left to
   * stop.
   */
  private Behavior<Command> onExit(ChildSlot child, Throwable cause) {
    Restart restart = child.spec.restart();
    boolean restartIt =
        restart == Restart.PERMANENT || (restart == Restart.TRANSIENT && cause != null);
    if (!restartIt) {
      if (restart == Restart.TEMPORARY) {
        children.remove(child);
      }
      getContext()
          .getLog()
          .info(
              "Child [{}] {}; not restarted ({})",
              child.id(),
              describe(cause),
              restart.name().toLowerCase());
      return this;
    }
    if (!intensity.tryRestart()) {
      return escalate(child, cause);
    }
    String strategy = spec.strategy().name().toLowerCase();
    if (cause != null) {
      getContext()
          .getLog()
          .warn("Child [{}] failed: {}; restarting ({})", child.id(), cause.toString(), strategy);
    } else {
      getContext().getLog().info("Child [{}] ended; restarting ({})", child.id(), strategy);
    }
    int index = children.indexOf(child);
    List<ChildSlot> siblings =
        switch (spec.strategy()) {
          case ONE_FOR_ONE -> List.of();
          case ONE_FOR_ALL -> runningChildren();
          case REST_FOR_ONE -> running(children.subList(index + 1, children.size()));
        };
    List<Step> round = stopsInReverse(siblings);
    for (ChildSlot c : children) {
      // Temporary siblings are skipped when their turn comes: they left `children` when stopped.
      if (c == child || siblings.contains(c)) {
        round.add(new StartStep(c, null));
      }
    }
    phase = Phase.BUSY;
    return run(round, this::endBusy);
  }

  private Behavior<Command> escalate(ChildSlot child, Throwable cause) {
    RestartIntensityExceededException failure =
        new RestartIntensityExceededException(
            getContext().getSelf().path().toString(),
            spec.maxRestarts(),
            spec.within(),
            child.id(),
            cause);
    // Pekko logs the failure itself at ERROR once the children are gone.
    getContext().getLog().warn("{}; stopping all children, then failing", failure.getMessage());
    phase = Phase.SHUTTING_DOWN;
    deferred.clear();
    return run(
        stopsInReverse(runningChildren()),
        () -> {
          shutdownWaiters.forEach(w -> w.tell(Done.getInstance()));
          throw failure;
        });
  }

  /** The steps are done: exits seen meanwhile are handled now, then the kept commands. */
  private Behavior<Command> endBusy() {
    phase = Phase.RUNNING;
    while (phase == Phase.RUNNING && !deferred.isEmpty()) {
      Exit exit = deferred.removeFirst();
      onExit(exit.child(), exit.cause());
    }
    if (phase != Phase.RUNNING || stash.isEmpty()) {
      return this;
    }
    // Steps end on a ChildReady, a Terminated or a timeout, never while unstashing, so this
    // unstash is never nested in another.
    return stash.unstashAll(this);
  }

  // ---- running steps ----

  /** Runs {@code todo} one step at a time, then {@code then}. */
  private Behavior<Command> run(List<Step> todo, Supplier<Behavior<Command>> then) {
    steps.clear();
    steps.addAll(todo);
    afterSteps = then;
    return next();
  }

  private Behavior<Command> next() {
    while (!steps.isEmpty()) {
      Step step = steps.removeFirst();
      ChildSlot child = step.child();
      if (step instanceof StopStep && child.running()) {
        current = step;
        requestStop(child);
        return this;
      }
      if (step instanceof StartStep start && !child.running() && children.contains(child)) {
        current = step;
        spawn(child, start.behavior() != null ? start.behavior() : behaviorOrFailure(child));
        return this;
      }
    }
    Supplier<Behavior<Command>> then = afterSteps;
    afterSteps = null;
    return then.get();
  }

  private List<Step> stopsInReverse(List<ChildSlot> inStartOrder) {
    List<Step> stops = new ArrayList<>();
    for (int i = inStartOrder.size() - 1; i >= 0; i--) {
      stops.add(new StopStep(inStartOrder.get(i)));
    }
    return stops;
  }

  private void requestStop(ChildSlot child) {
    if (child.spec.type() == ChildSpec.Type.SUPERVISOR) {
      child.ref.<Command>unsafeUpcast().tell(GracefulStop.INSTANCE);
    } else if (child.spec.stopMessage().isPresent()) {
      child.ref.unsafeUpcast().tell(child.spec.stopMessage().get());
    } else {
      getContext().stop(child.ref);
    }
    if (child.spec.shutdownTimeout().compareTo(LONGEST_TIMEOUT) <= 0) {
      timers.startSingleTimer(
          STOP_TIMER, new StopTimedOut(child.ref), child.spec.shutdownTimeout());
    }
  }

  private Behavior<Command> onStopTimedOut(StopTimedOut timeout) {
    if (!(current instanceof StopStep step) || !timeout.ref().equals(step.child().ref)) {
      return this;
    }
    ChildSlot child = step.child();
    getContext()
        .getLog()
        .warn(
            "Child [{}] did not terminate within its shutdown timeout of {} ms; moving on",
            child.id(),
            child.spec.shutdownTimeout().toMillis());
    if (child.spec.type() == ChildSpec.Type.SUPERVISOR || child.spec.stopMessage().isPresent()) {
      // It was asked politely; ctx.stop at least ends it after its current message.
      getContext().stop(child.ref);
    }
    running.remove(child.ref);
    child.ref = null;
    current = null;
    stopped(child);
    return next();
  }

  /** A child stopped by the supervisor: a temporary one is forgotten, as in OTP. */
  private void stopped(ChildSlot child) {
    if (child.spec.restart() == Restart.TEMPORARY) {
      children.remove(child);
    }
  }

  // ---- starting children ----

  private Behavior<?> newBehavior(ChildSlot child) {
    return Objects.requireNonNull(
        child.spec.behavior().get(), () -> "behavior factory of child [" + child.id() + "]");
  }

  /**
   * The child's behavior; if its factory throws, one that fails at once, so that a child that
   * cannot start counts against the restart intensity like one that fails later.
   */
  private Behavior<?> behaviorOrFailure(ChildSlot child) {
    try {
      return newBehavior(child);
    } catch (RuntimeException e) {
      return Behaviors.setup(
          ctx -> {
            throw e;
          });
    }
  }

  private void spawn(ChildSlot child, Behavior<?> behavior) {
    child.incarnation++;
    String name = child.actorName();
    if (getContext().getChild(name).isPresent()) {
      name = child.incarnationName();
    }
    ActorRef<Command> self = getContext().getSelf();
    ActorRef<?> ref;
    if (child.spec.type() == ChildSpec.Type.SUPERVISOR) {
      ref = getContext().spawn(behavior, name, child.spec.props());
      ref.<Command>unsafeUpcast().tell(new NotifyWhenStarted(self));
    } else {
      ref = getContext().spawn(StartAnnouncer.wrap(behavior, self), name, child.spec.props());
    }
    getContext().watch(ref);
    child.ref = ref;
    running.put(ref, child);
    getContext().getLog().debug("Starting child [{}] as {}", child.id(), ref);
  }

  // ---- helpers ----

  private Optional<ChildSlot> find(String id) {
    return children.stream().filter(c -> c.id().equals(id)).findFirst();
  }

  private List<ChildSlot> runningChildren() {
    return running(children);
  }

  private static List<ChildSlot> running(List<ChildSlot> slots) {
    return slots.stream().filter(ChildSlot::running).toList();
  }

  private Children children() {
    return new Children(
        children.stream()
            .map(
                c ->
                    new ChildInfo(
                        c.id(), Optional.<ActorRef<?>>ofNullable(c.ref), c.spec.restart()))
            .toList());
  }

  private static String describe(Throwable cause) {
    return cause == null ? "ended" : "failed: " + cause;
  }

  private static ChildError error(String id, Reason reason, String message) {
    return new ChildError(id, reason, message);
  }

  private static ChildError notFound(String id) {
    return error(id, Reason.NOT_FOUND, "No child [" + id + "]");
  }

  private static ChildError startFailed(String id, String why) {
    return error(id, Reason.START_FAILED, "Child [" + id + "] could not start: " + why);
  }

  private static ChildError shuttingDown(String id) {
    return error(
        id,
        Reason.SHUTTING_DOWN,
        "Supervisor is shutting down; not accepting commands for [" + id + "]");
  }
}
