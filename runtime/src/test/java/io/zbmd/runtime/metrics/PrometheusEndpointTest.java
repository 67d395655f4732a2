package io.zbmd.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

class PrometheusEndpointTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  record Work(int size, ActorRef<Integer> replyTo) {}

  @Test
  void prometheusScrapesWhatActorsAndTheFacadeRecorded() throws Exception {
    ActorTestKit kit =
        ActorTestKit.create(
            "scraped",
            Scrape.config("zbmd.metrics.prometheus { enabled = on, host = 127.0.0.1, port = 0 }"));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(kit.system());
      InetSocketAddress address = metrics.prometheusAddress().orElseThrow();
      assertTrue(address.getPort() > 0, "port 0 is replaced by the bound port: " + address);

      Counter jobs = metrics.counter("zbmd_endpoint_jobs_total", Tags.of("queue", "train"));
      Histogram sizes =
          metrics.histogram("zbmd_endpoint_work_size", MetricUnit.NONE, Tags.of("queue", "train"));
      ActorRef<Work> worker =
          kit.spawn(
              Metered.behavior(
                  "endpoint-worker",
                  Behaviors.receiveMessage(
                      (Work w) -> {
                        jobs.increment();
                        sizes.record(w.size());
                        w.replyTo().tell(w.size());
                        return Behaviors.same();
                      })));
      TestProbe<Integer> probe = kit.createTestProbe();
      for (int size : new int[] {5, 50, 500}) {
        worker.tell(new Work(size, probe.getRef()));
        probe.expectMessage(size);
      }

      URI uri = URI.create("http://127.0.0.1:" + address.getPort() + "/metrics");
      Map<String, String> train = Map.of("queue", "train", "actor_system", "scraped");
      Map<String, String> kind = Map.of("actor_kind", "endpoint-worker");
      Scrape scrape =
          Scrape.await(
              () -> body(uri),
              s ->
                  s.has("zbmd_endpoint_jobs_total", train, 3)
                      && s.has("zbmd_endpoint_work_size_count", train, 3)
                      && s.has("zbmd_actor_messages_total", kind, 3));
      assertEquals(555, scrape.value("zbmd_endpoint_work_size_sum", train).getAsDouble(), 5);
      Map<String, String> le100 = new HashMap<>(train);
      le100.put("le", "100.0");
      assertEquals(2, scrape.value("zbmd_endpoint_work_size_bucket", le100).getAsDouble());
      assertEquals(3, scrape.value("zbmd_actor_processing_time_seconds_count", kind).getAsDouble());
      assertTrue(scrape.toString().contains("# TYPE zbmd_endpoint_jobs_total counter"));
      assertTrue(scrape.toString().contains("# TYPE zbmd_endpoint_work_size histogram"));

      HttpResponse<String> response = get(uri);
      assertEquals(
          "text/plain; version=0.0.4; charset=utf-8",
          response.headers().firstValue("Content-Type").orElse(""));
      assertEquals(404, get(uri.resolve("/metrics/more")).statusCode());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void noPortIsOpenedUnlessAsked() throws Exception {
    int port = freePort();
    ActorTestKit kit =
        ActorTestKit.create("unscraped", Scrape.config("zbmd.metrics.prometheus.port = " + port));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(kit.system());
      metrics.counter("zbmd_endpoint_unserved_total").increment();
      assertTrue(metrics.isEnabled());
      assertTrue(metrics.prometheusAddress().isEmpty());
      assertThrows(
          ConnectException.class, () -> get(URI.create("http://127.0.0.1:" + port + "/metrics")));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void theEndpointCanStartWithTheSystem() throws Exception {
    int port = freePort();
    ActorTestKit kit =
        ActorTestKit.create(
            "eager",
            Scrape.config(
                "pekko.actor.typed.extensions = [\"io.zbmd.runtime.metrics.ZbmdMetrics$Id\"]\n"
                    + "zbmd.metrics.prometheus { enabled = on, port = "
                    + port
                    + " }"));
    try {
      // Nothing has called ZbmdMetrics.get: the extension list started it.
      assertEquals(200, get(URI.create("http://127.0.0.1:" + port + "/metrics")).statusCode());
    } finally {
      kit.shutdownTestKit();
    }
    // The endpoint closes with the system.
    assertThrows(
        ConnectException.class, () -> get(URI.create("http://127.0.0.1:" + port + "/metrics")));
  }

  static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The body at {@code uri}, for polling. */
  static String body(URI uri) {
    try {
      return get(uri).body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
