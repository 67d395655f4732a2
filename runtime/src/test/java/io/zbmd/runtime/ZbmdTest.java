package io.zbmd.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

class ZbmdTest {
  private static final String FJ = "pekko.actor.default-dispatcher.fork-join-executor.";

  @Test
  void zbmdDefaultsLieBetweenPekkoReferenceAndTheUser() {
    Config tuned = Zbmd.config(ConfigFactory.empty());
    Config plain = Zbmd.plainPekkoConfig(ConfigFactory.empty());
    assertEquals(4, tuned.getInt(FJ + "parallelism-min"));
    // Pekko's own reference value stays visible when zbmd's layer is off.
    assertEquals(8, plain.getInt(FJ + "parallelism-min"));
    // The user's value beats zbmd's.
    Config user = Zbmd.config(ConfigFactory.parseString(FJ + "parallelism-min = 3"));
    assertEquals(3, user.getInt(FJ + "parallelism-min"));
  }

  @Test
  void referenceSubstitutionsSeeTheUsersValues() {
    // zbmd.test-probe = ${zbmd.data-dir}"/probe" in src/test/resources/reference.conf.
    assertEquals("./zbmd-data/probe", Zbmd.config(ConfigFactory.empty()).getString("zbmd.test-probe"));
    Config c = Zbmd.config(ConfigFactory.parseString("zbmd.data-dir = \"/srv/zbmd\""));
    assertEquals("/srv/zbmd/probe", c.getString("zbmd.test-probe"));
  }

  @Test
  void createsAWorkingSystem() {
    Behavior<Echo> echo = Behaviors.receiveMessage(m -> {
      m.replyTo().tell(m.text());
      return Behaviors.same();
    });
    ActorSystem<Echo> system = Zbmd.create(echo, "zbmd-test");
    try {
      ActorTestKit kit = ActorTestKit.create(system);
      TestProbe<String> probe = kit.createTestProbe();
      system.tell(new Echo("hi", probe.getRef()));
      probe.expectMessage("hi");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void deviceMailboxIsBounded() {
    ActorTestKit kit = ActorTestKit.create(Zbmd.config(
        ConfigFactory.parseString("zbmd.device-mailbox.mailbox-capacity = 4")));
    try {
      TestProbe<Integer> gate = kit.createTestProbe();
      TestProbe<Integer> seen = kit.createTestProbe();
      // The actor parks its thread on the first message so that the rest pile up in the mailbox.
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      ActorRef<Integer> slow = kit.spawn(Behaviors.<Integer>receiveMessage(i -> {
        if (i == 0) {
          gate.getRef().tell(0);
          release.await();
        }
        seen.getRef().tell(i);
        return Behaviors.same();
      }), "slow", ZbmdMailboxes.device());
      slow.tell(0);
      gate.expectMessage(0);
      for (int i = 1; i <= 10; i++) {
        slow.tell(i);
      }
      release.countDown();
      for (int i = 0; i <= 4; i++) {
        assertEquals(i, seen.receiveMessage());
      }
      // Messages 5..10 found the mailbox full and went to dead letters.
      seen.expectNoMessage(Duration.ofMillis(200));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void anEnabledPrometheusEndpointListensAsSoonAsTheSystemStarts() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "zbmd-prometheus",
        ConfigFactory.parseString("zbmd.metrics.prometheus { enabled = on, port = " + port + " }"));
    try {
      // Nothing has recorded a metric yet: the port is open because the system started.
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        assertEquals(port, s.getPort());
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  record Echo(String text, ActorRef<String> replyTo) {}
}
