package io.zbmd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZbmdTestKitExtensionTest {
  @RegisterExtension
  static final ZbmdTestKitExtension testKit =
      ZbmdTestKitExtension.withConfig("zbmd.device-mailbox.mailbox-capacity = 7");

  record Ping(ActorRef<String> replyTo) {}

  @Test
  void theKitRunsZbmdConfigurationWithOverrides() {
    ActorTestKit kit = testKit.kit();
    assertEquals(7, kit.system().settings().config().getInt("zbmd.device-mailbox.mailbox-capacity"));
    // zbmd's tuned Pekko defaults are below the overrides.
    assertEquals(4, kit.system().settings().config()
        .getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-min"));
  }

  @Test
  void actorsRunInTheKit(ActorTestKit injected) {
    assertSame(testKit.kit(), injected);
    TestProbe<String> probe = injected.createTestProbe();
    ActorRef<Ping> ponger = injected.spawn(Behaviors.receiveMessage(p -> {
      p.replyTo().tell("pong");
      return Behaviors.same();
    }));
    ponger.tell(new Ping(probe.getRef()));
    probe.expectMessage("pong");
  }
}
