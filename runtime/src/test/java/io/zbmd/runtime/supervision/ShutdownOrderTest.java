package io.zbmd.runtime.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Supervisor.Shutdown}: children stop one at a time in reverse start order, each within its
 * shutdown timeout, then the supervisor stops.
 */
class ShutdownOrderTest {
  static final ActorTestKit kit = Supervisors.testKit(ShutdownOrderTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @Test
  void childrenStartInSpecOrderAndStopInReverseOrderThenTheSupervisorStops() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            .child(ReportingChild.permanent("c", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "shutdown");
    assertEquals(List.of("started a", "started b", "started c"), events.receiveSeveralMessages(3));

    TestProbe<Done> done = kit.createTestProbe();
    sup.tell(new Supervisor.Shutdown(done.getRef()));

    assertEquals(List.of("stopped c", "stopped b", "stopped a"), events.receiveSeveralMessages(3));
    done.expectMessage(Done.getInstance());
    done.expectTerminated(sup);
  }

  @Test
  void aChildThatOutlivesItsShutdownTimeoutIsLeftBehind() {
    TestProbe<String> events = kit.createTestProbe();
    CountDownLatch bMayStop = new CountDownLatch(1);
    try {
      SupervisorSpec spec =
          SupervisorSpec.builder()
              .child(ReportingChild.permanent("a", events.getRef()))
              .child(
                  ChildSpec.permanent(
                          "b", () -> ReportingChild.slowToStop("b", events.getRef(), bMayStop))
                      .withShutdownTimeout(Duration.ofMillis(200)))
              .child(ReportingChild.permanent("c", events.getRef()))
              .build();
      ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "slow-child");
      events.receiveSeveralMessages(3);

      TestProbe<Done> done = kit.createTestProbe();
      sup.tell(new Supervisor.Shutdown(done.getRef()));

      // b is still stopping when its 200 ms are up; the supervisor goes on with a.
      assertEquals(
          List.of("stopped c", "stopping b", "stopped a"), events.receiveSeveralMessages(3));
      done.expectMessage(Done.getInstance());

      // Pekko stops a parent only after all its children, so the supervisor waits for b.
      bMayStop.countDown();
      events.expectMessage("stopped b");
      done.expectTerminated(sup);
    } finally {
      bMayStop.countDown();
    }
  }

  @Test
  void aChildThatIgnoresItsStopMessageIsStoppedWhenItsTimeoutExpires() {
    TestProbe<String> events = kit.createTestProbe();
    TestProbe<Object> watcher = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .child(
                ChildSpec.permanent("a", () -> ReportingChild.create("a", events.getRef()))
                    // a has no handler for this message: it ignores the polite request.
                    .withStopMessage(new Object())
                    .withShutdownTimeout(Duration.ofMillis(200)))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "ignores-stop");
    events.expectMessage("started a");

    sup.tell(new Supervisor.Shutdown(kit.system().ignoreRef()));

    events.expectMessage("stopped a");
    watcher.expectTerminated(sup);
  }

  @Test
  void aChildSupervisorStopsItsOwnChildrenInReverseOrderToo() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec inner =
        SupervisorSpec.builder()
            .child(ReportingChild.permanent("p", events.getRef()))
            .child(ReportingChild.permanent("q", events.getRef()))
            .build();
    SupervisorSpec outer =
        SupervisorSpec.builder()
            .child(ReportingChild.permanent("x", events.getRef()))
            .child(ChildSpec.supervisor("inner", inner))
            .child(ReportingChild.permanent("y", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(outer), "tree");
    // A child supervisor counts as started once its own children have started.
    assertEquals(
        List.of("started x", "started p", "started q", "started y"),
        events.receiveSeveralMessages(4));

    Supervisors.shutdown(kit, sup);

    assertEquals(
        List.of("stopped y", "stopped q", "stopped p", "stopped x"),
        events.receiveSeveralMessages(4));
  }
}
