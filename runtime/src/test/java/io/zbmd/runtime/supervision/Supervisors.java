package io.zbmd.runtime.supervision;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Small helpers shared by the supervision tests. */
final class Supervisors {
  private Supervisors() {}

  /** A test kit whose probes wait long enough for a loaded build machine. */
  static ActorTestKit testKit(Class<?> test) {
    return ActorTestKit.create(
        test.getSimpleName(),
        ConfigFactory.parseString("pekko.actor.testkit.typed.single-expect-default = 10s"));
  }

  /** The supervisor's answer to {@link Supervisor.WhichChildren}. */
  static Supervisor.Children whichChildren(ActorTestKit kit, ActorRef<Supervisor.Command> sup) {
    TestProbe<Supervisor.Children> reply = kit.createTestProbe();
    sup.tell(new Supervisor.WhichChildren(reply.getRef()));
    return reply.receiveMessage();
  }

  /** The running child {@code id}, narrowed to the protocol of {@link ReportingChild}. */
  static ActorRef<ReportingChild.Command> child(
      ActorTestKit kit, ActorRef<Supervisor.Command> sup, String id) {
    return whichChildren(kit, sup)
        .find(id)
        .flatMap(Supervisor.ChildInfo::ref)
        .orElseThrow(() -> new AssertionError("child [" + id + "] is not running"))
        .unsafeUpcast();
  }

  /** The refs of the running children, in start order. */
  static List<ActorRef<?>> refs(ActorTestKit kit, ActorRef<Supervisor.Command> sup) {
    return whichChildren(kit, sup).children().stream().flatMap(c -> c.ref().stream()).toList();
  }

  /** Sends {@link Supervisor.Shutdown} and waits for its {@code Done}. */
  static void shutdown(ActorTestKit kit, ActorRef<Supervisor.Command> sup) {
    TestProbe<Done> done = kit.createTestProbe();
    sup.tell(new Supervisor.Shutdown(done.getRef()));
    done.expectMessage(Done.getInstance());
  }

  /** How an actor spawned by {@link #spawnWatched} ended: with its failure, or empty if stopped. */
  record Ended(Optional<Throwable> failure) {}

  /**
   * Spawns {@code behavior} under a parent that watches it and tells {@code ended} how it ended. (A
   * {@code Terminated} itself cannot be forwarded: Pekko treats it as a signal for the probe.)
   */
  static <T> ActorRef<T> spawnWatched(
      ActorTestKit kit, Behavior<T> behavior, String name, ActorRef<Ended> ended) {
    TestProbe<ActorRef<T>> spawned = kit.createTestProbe();
    kit.spawn(
        Behaviors.<Void>setup(
            ctx -> {
              ActorRef<T> ref = ctx.spawn(behavior, name);
              ctx.watch(ref);
              spawned.getRef().tell(ref);
              return Behaviors.receive(Void.class)
                  .onSignal(
                      Terminated.class,
                      terminated -> {
                        ended.tell(
                            new Ended(
                                terminated instanceof ChildFailed failed
                                    ? Optional.of(failed.getCause())
                                    : Optional.empty()));
                        return Behaviors.same();
                      })
                  .build();
            }),
        name + "-parent");
    return spawned.receiveMessage();
  }
}
