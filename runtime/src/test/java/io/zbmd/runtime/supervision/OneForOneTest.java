package io.zbmd.runtime.supervision;

import static io.zbmd.runtime.supervision.Supervisors.child;
import static io.zbmd.runtime.supervision.Supervisors.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@link Strategy#ONE_FOR_ONE}: a child that fails is restarted alone. */
class OneForOneTest {
  static final ActorTestKit kit = Supervisors.testKit(OneForOneTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @Test
  void onlyTheFailedChildIsRestarted() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .strategy(Strategy.ONE_FOR_ONE)
            .child(ReportingChild.permanent("a", events.getRef()))
            .child(ReportingChild.permanent("b", events.getRef()))
            .child(ReportingChild.permanent("c", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "one-for-one");
    assertEquals(List.of("started a", "started b", "started c"), events.receiveSeveralMessages(3));
    List<ActorRef<?>> before = refs(kit, sup);

    child(kit, sup, "b").tell(ReportingChild.Crash.INSTANCE);

    assertEquals(List.of("stopped b", "started b"), events.receiveSeveralMessages(2));
    List<ActorRef<?>> after = refs(kit, sup);
    assertEquals(before.get(0), after.get(0), "a is the same actor");
    assertNotEquals(before.get(1), after.get(1), "b is a new incarnation");
    assertEquals(before.get(2), after.get(2), "c is the same actor");

    // Had a or c been touched, their events would come before these.
    Supervisors.shutdown(kit, sup);
    assertEquals(List.of("stopped c", "stopped b", "stopped a"), events.receiveSeveralMessages(3));
  }

  @Test
  void aChildIsRestartedAsOftenAsTheIntensityAllows() {
    TestProbe<String> events = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder()
            .intensity(3, java.time.Duration.ofMinutes(1))
            .child(ReportingChild.permanent("a", events.getRef()))
            .build();
    ActorRef<Supervisor.Command> sup = kit.spawn(Supervisor.create(spec), "three-restarts");
    events.expectMessage("started a");

    for (int i = 0; i < 3; i++) {
      child(kit, sup, "a").tell(ReportingChild.Crash.INSTANCE);
      assertEquals(List.of("stopped a", "started a"), events.receiveSeveralMessages(2));
    }
    Supervisors.shutdown(kit, sup);
    events.expectMessage("stopped a");
  }
}
