package io.zbmd.runtime.supervision;

import static io.zbmd.runtime.supervision.Supervisors.child;
import static io.zbmd.runtime.supervision.Supervisors.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Strategy#ONE_FOR_ALL}: when a child fails, its siblings stop in reverse start order and
 * all start again in spec order.
 */
class OneForAllTest {
  static final ActorTestKit kit = Supervisors.testKit(OneForAllTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @Test
  void siblingsStopInReverseOrderThenAllStartInSpecOrder() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ALL)
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            .child(ReportingChild.permanent("c", events.getRef()))
            .child(ReportingChild.permanent("d", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "one-for-all");
    events.receiveSeveralMessages(4);
    List<ActorRef<?>> before = refs(kit, sup);

    child(kit, sup, "b").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(
        List.of(
            "stopped b", // it crashed
            "stopped d",
            "stopped c",
            "stopped a",
            "started a",
            "started b",
            "started c",
            "started d"),
        events.receiveSeveralMessages(8));
    List<ActorRef<?>> after = refs(kit, sup);
    for (int i = 0; i < 4; i++) {
      assertNotEquals(before.get(i), after.get(i), "every child is a new incarnation");
    }
  }

  @Test
  void commandsThatArriveDuringARoundAreHandledAfterIt() {
    TestProbe<String> events = kit.createTestProbe();
    CountDownLatch cStops = new CountDownLatch(1);
    AtomicBoolean firstStart = new AtomicBoolean(true);
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ALL)
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            // The first incarnation of c holds the round up until the test opens the latch.
            .child(
                ChildSpec.permanent(
                    "c",
                    () ->
                        firstStart.getAndSet(false)
                            ? ReportingChild.slowToStop("c", events.getRef(), cStops)
                            : ReportingChild.create("c", events.getRef())))
            .build();
    try {
      ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "round-with-commands");
      events.receiveSeveralMessages(3);

      child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);
      assertEquals(List.of("stopped a", "stopping c"), events.receiveSeveralMessages(2));

      // The supervisor now waits for c to terminate; these wait for the round to end.
      TestProbe<Supervisor.StartChildReply> startReply = kit.createTestProbe();
      sup.tell(
          new Supervisor.StartChild(
              ReportingChild.permanent("d", events.getRef()), startReply.getRef()));
      TestProbe<Supervisor.Children> whichReply = kit.createTestProbe();
      sup.tell(new Supervisor.WhichChildren(whichReply.getRef()));
      cStops.countDown();

      assertEquals(
          List.of(
              "stopped c",
              "stopped b",
              "started a",
              "started b",
              "started c",
              "started d"), // the StartChild, after the round
          events.receiveSeveralMessages(6));
      assertInstanceOf(Supervisor.ChildStarted.class, startReply.receiveMessage());
      Supervisor.Children children = whichReply.receiveMessage();
      assertEquals(List.of("a", "b", "c", "d"), children.ids());
      assertTrue(children.children().stream().allMatch(Supervisor.ChildInfo::running));
    } finally {
      cStops.countDown();
    }
  }

  @Test
  void aSiblingThatFailsWhileBeingStoppedIsPartOfTheSameRound() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ALL)
            // One restart allowed: a second, separate restart would make the supervisor give up.
            .intensity(1, Duration.ofMinutes(1))
            .child(ReportingChild.permanent("a", events.getRef()))
            // b crashes instead of stopping when asked.
            .child(
                ReportingChild.permanent("b", events.getRef())
                    .withStopMessage(ReportingChild.Crash.INSTANCE))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "crash-while-stopping");
    events.receiveSeveralMessages(2);

    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(
        List.of("stopped a", "stopped b", "started a", "started b"),
        events.receiveSeveralMessages(4));
    assertEquals(2, refs(kit, sup).size(), "the supervisor is still there, both children run");
  }

  @Test
  void aSiblingThatOutlivesItsShutdownTimeoutIsLeftBehindAndStartedAfresh() {
    TestProbe<String> events = kit.createTestProbe();
    CountDownLatch oldBMayStop = new CountDownLatch(1);
    AtomicBoolean firstStart = new AtomicBoolean(true);
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ALL)
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(
                ChildSpec.permanent(
                        "b",
                        () ->
                            firstStart.getAndSet(false)
                                ? ReportingChild.slowToStop("b", events.getRef(), oldBMayStop)
                                : ReportingChild.create("b", events.getRef()))
                    .withShutdownTimeout(Duration.ofMillis(200)))
            .build();
    try {
      ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "left-behind");
      events.receiveSeveralMessages(2);

      child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);

      // The old b still holds its actor name while it stops; the new one gets another.
      assertEquals(
          List.of("stopped a", "stopping b", "started a", "started b"),
          events.receiveSeveralMessages(4));
      oldBMayStop.countDown();
      events.expectMessage("stopped b");
      assertEquals(2, refs(kit, sup).size());
    } finally {
      oldBMayStop.countDown();
    }
  }
}
