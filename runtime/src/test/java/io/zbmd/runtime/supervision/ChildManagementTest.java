package io.zbmd.runtime.supervision;

import static io.zbmd.runtime.supervision.Supervisors.whichChildren;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.runtime.supervision.Supervisor.ChildDeleted;
import io.zbmd.runtime.supervision.Supervisor.ChildError;
import io.zbmd.runtime.supervision.Supervisor.ChildStarted;
import io.zbmd.runtime.supervision.Supervisor.ChildTerminated;
import io.zbmd.runtime.supervision.Supervisor.DeleteChildReply;
import io.zbmd.runtime.supervision.Supervisor.StartChildReply;
import io.zbmd.runtime.supervision.Supervisor.TerminateChildReply;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Managing children at run time: StartChild, TerminateChild, RestartChild, DeleteChild and
 * WhichChildren, with their answers and their errors.
 */
class ChildManagementTest {
  static final ActorTestKit kit = Supervisors.testKit(ChildManagementTest.class);

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  private TestProbe<String> events;
  private ActorRef<Supervisor.Command> sup;

  /** A supervisor with one child, a. */
  @BeforeEach
  void startSupervisor() {
    events = kit.createTestProbe();
    SupervisorSpec spec =
        SupervisorSpec.builder().child(ReportingChild.permanent("a", events.getRef())).build();
    sup = kit.spawn(Supervisor.create(spec));
    events.expectMessage("started a");
  }

  private StartChildReply startChild(ChildSpec spec) {
    TestProbe<StartChildReply> reply = kit.createTestProbe();
    sup.tell(new Supervisor.StartChild(spec, reply.getRef()));
    return reply.receiveMessage();
  }

  private TerminateChildReply terminateChild(String id) {
    TestProbe<TerminateChildReply> reply = kit.createTestProbe();
    sup.tell(new Supervisor.TerminateChild(id, reply.getRef()));
    return reply.receiveMessage();
  }

  private StartChildReply restartChild(String id) {
    TestProbe<StartChildReply> reply = kit.createTestProbe();
    sup.tell(new Supervisor.RestartChild(id, reply.getRef()));
    return reply.receiveMessage();
  }

  private DeleteChildReply deleteChild(String id) {
    TestProbe<DeleteChildReply> reply = kit.createTestProbe();
    sup.tell(new Supervisor.DeleteChild(id, reply.getRef()));
    return reply.receiveMessage();
  }

  private static ChildError error(Object reply, ChildError.Reason reason) {
    ChildError error = assertInstanceOf(ChildError.class, reply);
    assertEquals(reason, error.reason());
    assertTrue(error.message().contains("[" + error.id() + "]"), error.message());
    return error;
  }

  @Test
  void startChildAppendsAChildAndAnswersWithItsRef() {
    StartChildReply reply = startChild(ReportingChild.permanent("b", events.getRef()));

    // The answer comes once b has started.
    events.expectMessage("started b");
    ChildStarted started = assertInstanceOf(ChildStarted.class, reply);
    assertEquals("b", started.id());
    Supervisor.Children children = whichChildren(kit, sup);
    assertEquals(List.of("a", "b"), children.ids());
    assertEquals(started.ref(), children.find("b").orElseThrow().ref().orElseThrow());

    // A child added at run time is supervised like the others.
    ActorRef<ReportingChild.Command> b = started.ref().unsafeUpcast();
    b.tell(ReportingChild.Crash.INSTANCE);
    assertEquals(List.of("stopped b", "started b"), events.receiveSeveralMessages(2));
  }

  @Test
  void startChildRefusesAnIdThatIsTaken() {
    ChildError error =
        error(
            startChild(ReportingChild.permanent("a", events.getRef())),
            ChildError.Reason.ALREADY_PRESENT);
    assertEquals("a", error.id());
    assertEquals(List.of("a"), whichChildren(kit, sup).ids());
  }

  @Test
  void startChildReportsAFactoryThatThrowsAndDoesNotAddTheChild() {
    StartChildReply reply =
        startChild(
            ChildSpec.permanent(
                "broken",
                () -> {
                  throw new IllegalStateException("no config");
                }));

    ChildError error = error(reply, ChildError.Reason.START_FAILED);
    assertTrue(error.message().contains("no config"), error.message());
    assertEquals(List.of("a"), whichChildren(kit, sup).ids());
  }

  @Test
  void terminateChildStopsItButKeepsItsSpec() {
    assertEquals(new ChildTerminated("a"), terminateChild("a"));

    events.expectMessage("stopped a");
    Supervisor.ChildInfo a = whichChildren(kit, sup).find("a").orElseThrow();
    assertFalse(a.running());
    assertEquals(Restart.PERMANENT, a.restart());
    // Terminating a terminated child is fine; an unknown one is not.
    assertEquals(new ChildTerminated("a"), terminateChild("a"));
    error(terminateChild("nope"), ChildError.Reason.NOT_FOUND);
  }

  @Test
  void restartChildStartsATerminatedChildFromItsKeptSpec() {
    terminateChild("a");
    events.expectMessage("stopped a");

    ChildStarted started = assertInstanceOf(ChildStarted.class, restartChild("a"));

    events.expectMessage("started a");
    assertEquals(
        started.ref(), whichChildren(kit, sup).find("a").orElseThrow().ref().orElseThrow());
    error(restartChild("a"), ChildError.Reason.RUNNING);
    error(restartChild("nope"), ChildError.Reason.NOT_FOUND);
  }

  @Test
  void deleteChildForgetsATerminatedChild() {
    error(deleteChild("a"), ChildError.Reason.RUNNING);
    terminateChild("a");
    events.expectMessage("stopped a");

    assertEquals(new ChildDeleted("a"), deleteChild("a"));

    assertEquals(List.of(), whichChildren(kit, sup).ids());
    error(deleteChild("a"), ChildError.Reason.NOT_FOUND);
    error(restartChild("a"), ChildError.Reason.NOT_FOUND);
    // The id is free again.
    assertInstanceOf(
        ChildStarted.class, startChild(ReportingChild.permanent("a", events.getRef())));
    events.expectMessage("started a");
  }

  @Test
  void whichChildrenListsEveryKnownChildInStartOrder() {
    startChild(ReportingChild.spec("b", Restart.TRANSIENT, events.getRef()));
    startChild(ReportingChild.spec("c", Restart.TEMPORARY, events.getRef()));
    terminateChild("b");

    Supervisor.Children children = whichChildren(kit, sup);

    assertEquals(List.of("a", "b", "c"), children.ids());
    assertEquals(
        List.of(true, false, true),
        children.children().stream().map(Supervisor.ChildInfo::running).toList());
    assertEquals(
        List.of(Restart.PERMANENT, Restart.TRANSIENT, Restart.TEMPORARY),
        children.children().stream().map(Supervisor.ChildInfo::restart).toList());
  }

  @Test
  void commandsDuringShutdownAreRefused() {
    java.util.concurrent.CountDownLatch bMayStop = new java.util.concurrent.CountDownLatch(1);
    try {
      startChild(
          ChildSpec.permanent(
              "b", () -> ReportingChild.slowToStop("b", events.getRef(), bMayStop)));
      sup.tell(new Supervisor.Shutdown(kit.system().ignoreRef()));
      events.expectMessage("started b");
      events.expectMessage("stopping b");

      error(
          startChild(ReportingChild.permanent("c", events.getRef())),
          ChildError.Reason.SHUTTING_DOWN);
      error(restartChild("a"), ChildError.Reason.SHUTTING_DOWN);
      assertEquals(List.of("a", "b"), whichChildren(kit, sup).ids());
    } finally {
      bMayStop.countDown();
    }
    assertEquals(List.of("stopped b", "stopped a"), events.receiveSeveralMessages(2));
  }
}
