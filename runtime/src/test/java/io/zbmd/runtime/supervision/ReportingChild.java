package io.zbmd.runtime.supervision;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A child for the supervision tests: it tells {@code events} "started x" when it starts and
 * "stopped x" when it stops (also after a crash), so that a test can assert the exact order in
 * which a supervisor stops and starts its children.
 */
final class ReportingChild {
  private ReportingChild() {}

  interface Command {}

  /** Makes the child throw, which Pekko reports to the supervisor as {@code ChildFailed}. */
  enum Crash implements Command {
    INSTANCE
  }

  /** Makes the child stop itself: a normal end, a plain {@code Terminated}. */
  enum Finish implements Command {
    INSTANCE
  }

  /** Thrown on {@link Crash}; without a stack trace, to keep the test log short. */
  static final class Crashed extends RuntimeException {
    Crashed(String name) {
      super(name + " crashed on request", null, false, false);
    }
  }

  static Behavior<Command> create(String name, ActorRef<String> events) {
    return Behaviors.setup(
        ctx -> {
          events.tell("started " + name);
          return Behaviors.receive(Command.class)
              .onMessageEquals(
                  Crash.INSTANCE,
                  () -> {
                    throw new Crashed(name);
                  })
              .onMessageEquals(Finish.INSTANCE, Behaviors::stopped)
              .onSignal(
                  PostStop.class,
                  stop -> {
                    events.tell("stopped " + name);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /**
   * A child that takes until {@code release} opens to stop: it reports "stopping x", blocks in
   * PostStop, then reports "stopped x". Blocking a thread is fine in a test and lets the test
   * decide exactly when the stop completes.
   */
  static Behavior<Command> slowToStop(
      String name, ActorRef<String> events, CountDownLatch release) {
    return Behaviors.setup(
        ctx -> {
          events.tell("started " + name);
          return Behaviors.receive(Command.class)
              .onSignal(
                  PostStop.class,
                  stop -> {
                    events.tell("stopping " + name);
                    release.await(20, TimeUnit.SECONDS);
                    events.tell("stopped " + name);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** A permanent child spec whose child reports to {@code events} under its id. */
  static ChildSpec permanent(String id, ActorRef<String> events) {
    return ChildSpec.permanent(id, () -> create(id, events));
  }

  /** A child spec with the given restart type whose child reports to {@code events}. */
  static ChildSpec spec(String id, Restart restart, ActorRef<String> events) {
    return ChildSpec.create(id, restart, () -> create(id, events));
  }
}
