package io.zbmd.runtime.supervision;

import static io.zbmd.runtime.supervision.Supervisors.child;
import static io.zbmd.runtime.supervision.Supervisors.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Strategy#REST_FOR_ONE}: when a child fails, the siblings started after it stop in reverse
 * order, then it and they start again in order; the siblings before it are untouched.
 */
class RestForOneTest {
  static final ActorTestKit kit = Supervisors.testKit(RestForOneTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  private ActorRef<Supervisor.Command> abcd(TestProbe<String> events, String name) {
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.REST_FOR_ONE)
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            .child(ReportingChild.permanent("c", events.getRef()))
            .child(ReportingChild.permanent("d", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), name);
    assertEquals(
        List.of("started a", "started b", "started c", "started d"),
        events.receiveSeveralMessages(4));
    return sup;
  }

  @Test
  void laterSiblingsStopInReverseOrderThenRestartInOrder() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup = abcd(events, "rest-for-one");
    List<ActorRef<?>> before = refs(kit, sup);

    child(kit, sup, "b").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(
        List.of(
            "stopped b", // it crashed
            "stopped d",
            "stopped c",
            "started b",
            "started c",
            "started d"),
        events.receiveSeveralMessages(6));
    List<ActorRef<?>> after = refs(kit, sup);
    assertEquals(before.get(0), after.get(0), "a, started before b, is untouched");
    for (int i = 1; i < 4; i++) {
      assertNotEquals(before.get(i), after.get(i));
    }
    // Had a been touched, its events would come before these.
    Supervisors.shutdown(kit, sup);
    assertEquals(
        List.of("stopped d", "stopped c", "stopped b", "stopped a"),
        events.receiveSeveralMessages(4));
  }

  @Test
  void theLastChildRestartsAlone() {
    TestProbe<String> events = kit.createTestProbe();
    ActorRef<Supervisor.Command> sup = abcd(events, "rest-for-one-last");
    List<ActorRef<?>> before = refs(kit, sup);

    child(kit, sup, "d").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(List.of("stopped d", "started d"), events.receiveSeveralMessages(2));
    assertEquals(before.subList(0, 3), refs(kit, sup).subList(0, 3));
  }

  @Test
  void aChildOutsideTheRoundThatFailsDuringItIsHandledAfterIt() {
    TestProbe<String> events = kit.createTestProbe();
    CountDownLatch cStops = new CountDownLatch(1);
    AtomicBoolean firstStart = new AtomicBoolean(true);
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.REST_FOR_ONE)
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
      ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "failure-in-round");
      events.receiveSeveralMessages(3);
      ActorRef<ReportingChild.Command> a = child(kit, sup, "a");

      child(kit, sup, "b").tell(ReportingChild.Crash.INSTANCE);
      assertEquals(List.of("stopped b", "stopping c"), events.receiveSeveralMessages(2));
      // a is not part of b's round; its failure waits until the round is over.
      a.tell(ReportingChild.Crash.INSTANCE);
      events.expectMessage("stopped a");
      cStops.countDown();

      assertEquals(
          List.of(
              "stopped c", // b's round ends,
              "started b",
              "started c",
              "stopped c", // then a's round: everything after a stops,
              "stopped b",
              "started a",
              "started b",
              "started c"),
          events.receiveSeveralMessages(8));
    } finally {
      cStops.countDown();
    }
  }
}
