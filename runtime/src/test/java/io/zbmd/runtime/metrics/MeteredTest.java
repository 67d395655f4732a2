package io.zbmd.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

class MeteredTest {
  /** Counts down, and becomes a new Metered behavior each time: the interceptor must not stack. */
  static Behavior<ActorRef<Integer>> countdown(int left) {
    return Metered.behavior(
        "countdown",
        Behaviors.receiveMessage(
            replyTo -> {
              if (left == 0) {
                throw new IllegalStateException("no more");
              }
              replyTo.tell(left);
              return countdown(left - 1);
            }));
  }

  @Test
  void messagesAreCountedAndTimedOncePerMessage() {
    ActorTestKit kit = ActorTestKit.create("metered", Scrape.config(""));
    try {
      TestProbe<Integer> probe = kit.createTestProbe();
      ActorRef<ActorRef<Integer>> actor =
          kit.spawn(
              Behaviors.supervise(countdown(3))
                  .onFailure(SupervisorStrategy.resume().withLoggingEnabled(false)));
      for (int i = 0; i < 4; i++) {
        actor.tell(probe.getRef());
      }
      probe.expectMessage(3);
      probe.expectMessage(2);
      probe.expectMessage(1);
      // The fourth message fails; it still took the actor's time, so it counts.
      probe.expectNoMessage(Duration.ofMillis(50));

      Map<String, String> kind = Map.of("actor_kind", "countdown", "actor_system", "metered");
      Scrape scrape =
          Scrape.await(
              ZbmdMetrics.get(kit.system())::scrapeData,
              s ->
                  s.has("zbmd_actor_messages_total", kind, 4)
                      && s.has("zbmd_actor_processing_time_seconds_count", kind, 4));
      // zbmd's buckets for processing time start at 10 microseconds, not Kamon's 5 ms.
      Map<String, String> smallest = new HashMap<>(kind);
      smallest.put("le", "1.0E-5");
      assertTrue(
          scrape.value("zbmd_actor_processing_time_seconds_bucket", smallest).isPresent(),
          scrape.toString());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
