package io.zbmd.runtime.supervision;

import static io.zbmd.runtime.supervision.Supervisors.child;
import static io.zbmd.runtime.supervision.Supervisors.whichChildren;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Restart}: permanent children are always restarted, transient ones only after a failure,
 * temporary ones never, and a temporary child's spec is forgotten when it ends.
 */
class RestartTypesTest {
  static final ActorTestKit kit = Supervisors.testKit(RestartTypesTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  private ActorRef<Supervisor.Command> supervise(String name, Strategy strategy, ChildSpec... cs) {
    SupervisorSpec.Builder spec = SupervisorSpec.builder().strategy(strategy);
    for (ChildSpec c : cs) {
      spec.child(c);
    }
    return kit.spawn(Supervisor.create(spec.build()), name);
  }

  @Test
  void aPermanentChildIsRestartedEvenAfterItEndsNormally() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup =
        supervise(
            "permanent", Strategy.ONE_FOR_ONE, ReportingChild.permanent("p", events.getRef()));
    events.expectMessage("started p");

    child(kit, sup, "p").tell(ReportingChild.Finish.INSTANCE);

    assertEquals(List.of("stopped p", "started p"), events.receiveSeveralMessages(2));
  }

  @Test
  void aTransientChildIsRestartedAfterAFailure() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup =
        supervise(
            "transient-failure",
            Strategy.ONE_FOR_ONE,
            ReportingChild.spec("t", Restart.TRANSIENT, events.getRef()));
    events.expectMessage("started t");

    child(kit, sup, "t").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(List.of("stopped t", "started t"), events.receiveSeveralMessages(2));
  }

  @Test
  void aTransientChildThatEndsNormallyIsKeptButNotRestarted() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup =
        supervise(
            "transient-normal",
            Strategy.ONE_FOR_ONE,
            ReportingChild.spec("t", Restart.TRANSIENT, events.getRef()));
    events.expectMessage("started t");

    child(kit, sup, "t").tell(ReportingChild.Finish.INSTANCE);

    events.expectMessage("stopped t");
    // Once the supervisor has seen the end, t is known but not running; a restart would show t
    // running again.
    events.awaitAssert(
        () -> {
          assertFalse(whichChildren(kit, sup).find("t").orElseThrow().running());
          return null;
        });
  }

  @Test
  void aTemporaryChildIsNeverRestartedAndIsForgotten() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup =
        supervise(
            "temporary",
            Strategy.ONE_FOR_ONE,
            ReportingChild.permanent("a", events.getRef()),
            ReportingChild.spec("tmp", Restart.TEMPORARY, events.getRef()));
    events.receiveSeveralMessages(2);

    child(kit, sup, "tmp").tell(ReportingChild.Crash.INSTANCE);

    events.expectMessage("stopped tmp");
    events.awaitAssert(
        () -> {
          assertEquals(List.of("a"), whichChildren(kit, sup).ids());
          return null;
        });
  }

  @Test
  void aTemporaryChildStoppedBecauseASiblingFailedIsForgottenToo() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup =
        supervise(
            "temporary-sibling",
            Strategy.ONE_FOR_ALL,
            ReportingChild.permanent("a", events.getRef()),
            ReportingChild.spec("tmp", Restart.TEMPORARY, events.getRef()),
            ReportingChild.spec("t", Restart.TRANSIENT, events.getRef()));
    events.receiveSeveralMessages(3);

    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(
        List.of(
            "stopped a", // it crashed
            "stopped t",
            "stopped tmp",
            "started a",
            "started t"), // transient siblings are restarted with the others, as in OTP
        events.receiveSeveralMessages(5));
    assertEquals(List.of("a", "t"), whichChildren(kit, sup).ids());
  }
}
