package io.zbmd.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

class ZbmdMetricsTest {
  @Test
  void settingsComeFromReferenceConf() {
    ActorTestKit kit = ActorTestKit.create("metrics-settings", Scrape.config(""));
    try {
      MetricsSettings settings = ZbmdMetrics.get(kit.system()).settings();
      assertTrue(settings.enabled());
      assertEquals(Duration.ofMillis(100), settings.tickInterval());
      assertTrue(settings.systemTag());
      assertEquals(13, settings.processingTimeBuckets().size());
      assertEquals(
          new MetricsSettings.Prometheus(false, "127.0.0.1", 9095, "/metrics"),
          settings.prometheus());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void badSettingsNameTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                MetricsSettings.fromConfig(Scrape.config("zbmd.metrics.prometheus.port = 70000")));
    assertTrue(e.getMessage().contains("zbmd.metrics.prometheus.port"), e.getMessage());
  }

  @Test
  void countersGaugesAndHistogramsReachTheScrape() {
    ActorTestKit kit = ActorTestKit.create("metrics-facade", Scrape.config(""));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(kit.system());
      Tags mnist = Tags.of("model", "mnist");
      Counter batches = metrics.counter("zbmd_facade_batches_total", mnist);
      batches.increment();
      batches.increment(4);
      // The same name and tags are the same series.
      metrics.counter("zbmd_facade_batches_total", mnist).increment();
      metrics.counter("zbmd_facade_batches_total", Tags.of("model", "resnet")).increment();

      Gauge queue = metrics.gauge("zbmd_facade_queue_depth", mnist);
      queue.update(7);
      queue.increment();

      Histogram sizes = metrics.histogram("zbmd_facade_batch_size", MetricUnit.NONE, mnist);
      sizes.record(20);
      sizes.record(200);
      // A negative value counts as 0 (Kamon alone would record it as the top of the range).
      sizes.record(-1);
      // Times are recorded in nanoseconds and exported in seconds.
      metrics
          .histogram("zbmd_facade_step_time", MetricUnit.NANOSECONDS, mnist)
          .record(2_000_000_000L);

      Map<String, String> labels = Map.of("model", "mnist", "actor_system", "metrics-facade");
      Scrape scrape =
          Scrape.await(
              metrics::scrapeData,
              s ->
                  s.has("zbmd_facade_batches_total", labels, 6)
                      && s.has("zbmd_facade_step_time_seconds_count", labels, 1));
      assertEquals(
          1, scrape.value("zbmd_facade_batches_total", Map.of("model", "resnet")).getAsDouble());
      assertEquals(8, scrape.value("zbmd_facade_queue_depth", labels).getAsDouble());
      assertEquals(3, scrape.value("zbmd_facade_batch_size_count", labels).getAsDouble());
      assertEquals(220, scrape.value("zbmd_facade_batch_size_sum", labels).getAsDouble(), 2);
      // Kamon's default buckets are 10, 30, 100, ...: 0 falls in le=10, 20 in le=30, 200 above.
      assertEquals(1, bucket(scrape, "zbmd_facade_batch_size", labels, "10.0"));
      assertEquals(2, bucket(scrape, "zbmd_facade_batch_size", labels, "100.0"));
      assertEquals(3, bucket(scrape, "zbmd_facade_batch_size", labels, "+Inf"));
      assertEquals(
          2.0, scrape.value("zbmd_facade_step_time_seconds_sum", labels).getAsDouble(), 0.05);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aMetricNameHasOneType() {
    ActorTestKit kit = ActorTestKit.create("metrics-types", Scrape.config(""));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(kit.system());
      metrics.counter("zbmd_facade_typed");
      assertThrows(
          IllegalArgumentException.class,
          () -> metrics.histogram("zbmd_facade_typed", MetricUnit.NONE, Tags.empty()));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void systemTagCanBeTurnedOff() {
    ActorTestKit kit =
        ActorTestKit.create("metrics-untagged", Scrape.config("zbmd.metrics.system-tag = off"));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(kit.system());
      metrics.counter("zbmd_facade_untagged_total").increment();
      Scrape scrape =
          Scrape.await(
              metrics::scrapeData,
              s -> s.value("zbmd_facade_untagged_total", Map.of()).isPresent());
      assertTrue(scrape.toString().contains("zbmd_facade_untagged_total 1.0"), scrape.toString());
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void disabledMetricsAreNoOps() {
    ActorTestKit kit =
        ActorTestKit.create("metrics-off", Scrape.config("zbmd.metrics.enabled = off"));
    try {
      ZbmdMetrics metrics = ZbmdMetrics.get(kit.system());
      assertFalse(metrics.isEnabled());
      Counter counter = metrics.counter("zbmd_facade_off_total");
      counter.increment();
      assertSame(counter, metrics.histogram("zbmd_facade_off", MetricUnit.NONE, Tags.empty()));
      assertEquals("", metrics.scrapeData());
      assertTrue(metrics.prometheusAddress().isEmpty());
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static double bucket(Scrape scrape, String name, Map<String, String> labels, String le) {
    Map<String, String> withLe = new HashMap<>(labels);
    withLe.put("le", le);
    return scrape.value(name + "_bucket", withLe).getAsDouble();
  }
}
