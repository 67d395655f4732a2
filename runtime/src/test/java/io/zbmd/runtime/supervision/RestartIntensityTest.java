package io.zbmd.runtime.supervision;

import static io.zbmd.runtime.supervision.Supervisors.child;
import static io.zbmd.runtime.supervision.Supervisors.refs;
import static io.zbmd.runtime.supervision.Supervisors.spawnWatched;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorInitializationException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Restart intensity: more than N restarts within T make a supervisor stop its children in reverse
 * order and fail with {@link RestartIntensityExceededException}, so that its parent acts. The tests
 * drive the intensity window with a {@link ManualClock}.
 */
class RestartIntensityTest {
  static final ActorTestKit kit = Supervisors.testKit(RestartIntensityTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @Test
  void oneRestartTooManyStopsTheChildrenInReverseOrderAndFailsTheSupervisor() {
    TestProbe<String> events = kit.createTestProbe();
    TestProbe<Supervisors.Ended> ended = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .intensity(2, Duration.ofSeconds(5))
            .clock(new ManualClock())
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            .child(ReportingChild.permanent("c", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup =
        spawnWatched(kit, Supervisor.create(spec), "gives-up", ended.getRef());
    events.receiveSeveralMessages(3);

    for (int restart = 1; restart <= 2; restart++) {
      child(kit, sup, "b").tell(ReportingChild.Crash.INSTANCE);
      assertEquals(List.of("stopped b", "started b"), events.receiveSeveralMessages(2));
    }
    child(kit, sup, "b").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(List.of("stopped b", "stopped c", "stopped a"), events.receiveSeveralMessages(3));
    RestartIntensityExceededException e =
        assertInstanceOf(
            RestartIntensityExceededException.class,
            ended.receiveMessage().failure().orElseThrow());
    assertEquals(sup.path().toString(), e.supervisor());
    assertEquals(2, e.maxRestarts());
    assertEquals(Duration.ofSeconds(5), e.within());
    assertEquals("b", e.childId());
    assertInstanceOf(ReportingChild.Crashed.class, e.getCause());
    assertTrue(e.getMessage().contains("2 restarts within 5000 ms"), e.getMessage());
  }

  @Test
  void restartsOlderThanThePeriodNoLongerCount() {
    TestProbe<String> events = kit.createTestProbe();
    TestProbe<Supervisors.Ended> ended = kit.createTestProbe();
    ManualClock clock = new ManualClock();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .intensity(1, Duration.ofSeconds(5))
            .clock(clock)
            .child(ReportingChild.permanent("a", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup =
        spawnWatched(kit, Supervisor.create(spec), "spaced-failures", ended.getRef());
    events.expectMessage("started a");

    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);
    assertEquals(List.of("stopped a", "started a"), events.receiveSeveralMessages(2));

    // The first restart leaves the window: this one is the only one in it.
    clock.advance(Duration.ofSeconds(6));
    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);
    assertEquals(List.of("stopped a", "started a"), events.receiveSeveralMessages(2));

    // Within the same 5 s, a second restart is one too many.
    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);
    events.expectMessage("stopped a");
    assertInstanceOf(
        RestartIntensityExceededException.class, ended.receiveMessage().failure().orElseThrow());
  }

  @Test
  void aRestartRoundCountsOnceHoweverManyChildrenItStops() {
    TestProbe<String> events = kit.createTestProbe();
    TestProbe<Supervisors.Ended> ended = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ALL)
            .intensity(1, Duration.ofSeconds(5))
            .clock(new ManualClock())
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            .child(ReportingChild.permanent("c", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup =
        spawnWatched(kit, Supervisor.create(spec), "round-counts-once", ended.getRef());
    events.receiveSeveralMessages(3);

    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);
    assertEquals(
        List.of("stopped a", "stopped c", "stopped b", "started a", "started b", "started c"),
        events.receiveSeveralMessages(6));

    child(kit, sup, "c").tell(ReportingChild.Crash.INSTANCE);
    assertEquals(List.of("stopped c", "stopped b", "stopped a"), events.receiveSeveralMessages(3));
    assertInstanceOf(
        RestartIntensityExceededException.class, ended.receiveMessage().failure().orElseThrow());
  }

  @Test
  void aChildThatCannotBeCreatedAgainMakesTheSupervisorGiveUp() {
    TestProbe<String> events = kit.createTestProbe();
    TestProbe<Supervisors.Ended> ended = kit.createTestProbe();
    AtomicInteger starts = new AtomicInteger();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .intensity(2, Duration.ofSeconds(5))
            .clock(new ManualClock())
            .child(
                ChildSpec.permanent(
                    "a",
                    () -> {
                      if (starts.incrementAndGet() > 1) {
                        throw new IllegalStateException("no more a");
                      }
                      return ReportingChild.create("a", events.getRef());
                    }))
            .build();
    ActorRef<Supervisor.Command> sup =
        spawnWatched(kit, Supervisor.create(spec), "cannot-create", ended.getRef());
    events.expectMessage("started a");

    child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);

    events.expectMessage("stopped a");
    // Two restarts whose factory threw, and the third is one too many.
    RestartIntensityExceededException e =
        assertInstanceOf(
            RestartIntensityExceededException.class,
            ended.receiveMessage().failure().orElseThrow());
    // Pekko wraps a failure during setup in an ActorInitializationException.
    assertInstanceOf(ActorInitializationException.class, e.getCause());
    assertInstanceOf(IllegalStateException.class, e.getCause().getCause());
    assertEquals(3, starts.get());
  }

  @Test
  void aParentSupervisorRestartsAChildSupervisorThatGaveUp() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec inner =
        SupervisorSpec.builder()
            .intensity(1, Duration.ofSeconds(5))
            .clock(new ManualClock())
            .child(ReportingChild.permanent("p", events.getRef()))
            .child(ReportingChild.permanent("q", events.getRef()))
            .build();
    SupervisorSpec outer =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ONE)
            .child(ReportingChild.permanent("x", events.getRef()))
            .child(ChildSpec.supervisor("inner", inner))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(outer), "nested");
    assertEquals(List.of("started x", "started p", "started q"), events.receiveSeveralMessages(3));
    List<ActorRef<?>> before = refs(kit, sup);
    ActorRef<Supervisor.Command> innerSup = before.get(1).unsafeUpcast();

    child(kit, innerSup, "p").tell(ReportingChild.Crash.INSTANCE);
    assertEquals(List.of("stopped p", "started p"), events.receiveSeveralMessages(2));
    child(kit, innerSup, "p").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(
        List.of(
            "stopped p", // a second restart within 5 s: the inner supervisor gives up,
            "stopped q", // stops what is left,
            "started p", // and the outer one restarts it, which starts its children again
            "started q"),
        events.receiveSeveralMessages(4));
    List<ActorRef<?>> after = refs(kit, sup);
    assertEquals(before.get(0), after.get(0), "x, a sibling under one_for_one, is untouched");
    assertNotEquals(before.get(1), after.get(1), "inner is a new supervisor");
  }
}
