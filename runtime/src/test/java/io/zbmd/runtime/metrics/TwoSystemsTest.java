package io.zbmd.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.runtime.metrics.internal.KamonRuntime;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/** Kamon is one per JVM; actor systems share it, and the last one out stops it. */
class TwoSystemsTest {
  private static final String SERVE = "zbmd.metrics.prometheus { enabled = on, port = 0 }";
  private static final String COUNTER = "zbmd_two_systems_total";

  @Test
  void twoSystemsShareKamonAndTheEndpoint() throws Exception {
    ActorTestKit first = ActorTestKit.create("first", Scrape.config(SERVE));
    ActorTestKit second = ActorTestKit.create("second", Scrape.config(SERVE));
    ZbmdMetrics firstMetrics = ZbmdMetrics.get(first.system());
    ZbmdMetrics secondMetrics = ZbmdMetrics.get(second.system());
    InetSocketAddress address = firstMetrics.prometheusAddress().orElseThrow();
    URI uri = URI.create("http://127.0.0.1:" + address.getPort() + "/metrics");
    try {
      assertEquals(2, KamonRuntime.activeSystems());
      assertTrue(metricsThreads().containsAll(List.of("kamon-ticker", "HTTP-Dispatcher")));
      // One endpoint serves the JVM's metrics; the second system is told where it is.
      assertEquals(address, secondMetrics.prometheusAddress().orElseThrow());

      firstMetrics.counter(COUNTER).increment(2);
      secondMetrics.counter(COUNTER).increment(3);
      // The system tag keeps the two systems' series apart.
      Scrape.await(
          () -> PrometheusEndpointTest.body(uri),
          s ->
              s.has(COUNTER, Map.of("actor_system", "first"), 2)
                  && s.has(COUNTER, Map.of("actor_system", "second"), 3));

      first.shutdownTestKit();
      assertEquals(1, KamonRuntime.activeSystems());
      // Kamon and the endpoint live on for the second system.
      secondMetrics.counter(COUNTER).increment();
      Scrape.await(
          () -> PrometheusEndpointTest.body(uri),
          s -> s.has(COUNTER, Map.of("actor_system", "second"), 4));
    } finally {
      first.shutdownTestKit();
      second.shutdownTestKit();
    }
    assertEquals(0, KamonRuntime.activeSystems());
    assertThrows(ConnectException.class, () -> PrometheusEndpointTest.get(uri));

    // A system that comes later starts Kamon again.
    ActorTestKit third = ActorTestKit.create("third", Scrape.config(""));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(third.system());
      metrics.counter(COUNTER).increment();
      Scrape.await(metrics::scrapeData, s -> s.has(COUNTER, Map.of("actor_system", "third"), 1));
    } finally {
      third.shutdownTestKit();
    }
    // With no system left, Kamon's ticker, the reporter's thread and the endpoint are gone.
    // (Kamon.stop() in 2.7.7 forgets its kamon-scheduler pool; those threads are daemons that end
    // after 5 s idle, so the check leaves them out instead of waiting.)
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!metricsThreads().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(List.of(), metricsThreads());
  }

  private static List<String> metricsThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("kamon") || n.startsWith("zbmd-") || n.equals("HTTP-Dispatcher"))
        .filter(n -> !n.startsWith("kamon-scheduler"))
        .toList();
  }
}
