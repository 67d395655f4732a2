package io.zbmd.runtime.metrics.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import io.zbmd.runtime.metrics.Metered;
import io.zbmd.runtime.metrics.MetricsSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import kamon.Kamon;
import kamon.prometheus.PrometheusReporter;
import org.apache.pekko.annotation.InternalApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.FutureConverters;

/**
 * Kamon's lifecycle, shared by every actor system of the JVM. Kamon is a JVM-wide singleton (one
 * metric registry, one ticker), so this class is the one static holder zbmd keeps: the first system
 * that uses metrics starts Kamon with its settings, later systems join it, and the last one to
 * leave stops it (reporter, ticker threads and endpoint) so that a JVM with no systems holds no
 * threads. A system that arrives afterwards starts Kamon again.
 *
 * <p>Settings that are JVM-wide follow the first system: a later system with another {@code
 * tick-interval} gets a warning. The Prometheus endpoint is shared the same way: the first system
 * that enables it binds it, later ones are served by it, and it closes when the last system that
 * enabled it terminates.
 */
@InternalApi
public final class KamonRuntime {
  private static final Logger log = LoggerFactory.getLogger(KamonRuntime.class);
  private static final String REPORTER = "zbmd-prometheus";
  private static final long STOP_TIMEOUT_SECONDS = 5;

  // All state is guarded by the class lock; `reporter` is also read without it by scrapes.
  private static int users;
  private static volatile PrometheusReporter reporter;
  private static Duration tickInterval;
  private static String startedBy;
  private static PrometheusEndpoint endpoint;
  private static int endpointUsers;

  private KamonRuntime() {}

  /**
   * Joins Kamon for the system {@code systemName}, starting Kamon if no system uses it yet, and the
   * Prometheus endpoint if {@code settings} enable it and it is not serving yet. A failure to bind
   * the endpoint is logged, not thrown: metrics are still recorded and {@link
   * Lease#prometheusAddress()} is empty.
   */
  public static synchronized Lease acquire(
      String systemName, MetricsSettings settings, Config config) {
    if (users == 0) {
      start(systemName, settings, config);
    } else if (!settings.tickInterval().equals(tickInterval)) {
      log.warn(
          "Actor system [{}] asks for zbmd.metrics.tick-interval = {}, but Kamon is JVM-wide and"
              + " runs with {} from actor system [{}]",
          systemName,
          settings.tickInterval(),
          tickInterval,
          startedBy);
    }
    users++;
    boolean servesEndpoint = settings.prometheus().enabled() && joinEndpoint(systemName, settings);
    return new Lease(servesEndpoint);
  }

  /** The Prometheus text of the last tick; empty when no system uses metrics. */
  public static String scrapeData() {
    PrometheusReporter current = reporter;
    return current == null ? "" : current.scrapeData();
  }

  /** How many actor systems use Kamon now. */
  public static synchronized int activeSystems() {
    return users;
  }

  private static void start(String systemName, MetricsSettings settings, Config config) {
    Config kamonConfig = kamonConfig(settings, config);
    Kamon.initWithoutAttaching(kamonConfig);
    PrometheusReporter started = new PrometheusReporter("kamon.prometheus", kamonConfig);
    Kamon.addReporter(REPORTER, started);
    reporter = started;
    tickInterval = settings.tickInterval();
    startedBy = systemName;
  }

  /**
   * zbmd's settings over the system's {@code kamon.*} (so application.conf still tunes Kamon, such
   * as {@code kamon.prometheus.buckets}), over zbmd's bucket defaults.
   */
  static Config kamonConfig(MetricsSettings settings, Config config) {
    Config forced =
        ConfigFactory.parseMap(
            Map.of(
                // zbmd.metrics.enabled is the one switch; Kamon's own would silently stop ticks.
                "kamon.enabled", true,
                "kamon.init.hide-banner", true,
                // No Kanela agent: zbmd instruments actors itself and must not warn about it.
                "kamon.init.attach-instrumentation", false,
                "kamon.metric.tick-interval", settings.tickInterval().toMillis() + "ms",
                // On the class path these auto-start with Kamon.init: the reporter would open
                // 0.0.0.0:9095 unasked, and the push gateway needs okhttp, which zbmd excludes.
                "kamon.modules.prometheus-reporter.enabled", false,
                "kamon.modules.pushgateway-reporter.enabled", false,
                // zbmd serves the scrape itself (PrometheusEndpoint).
                "kamon.prometheus.start-embedded-http-server", false),
            "zbmd.metrics");
    Config buckets =
        ConfigFactory.empty()
            .withValue(
                "kamon.prometheus.buckets.custom."
                    + ConfigUtil.quoteString(Metered.PROCESSING_TIME_METRIC),
                ConfigValueFactory.fromIterable(settings.processingTimeBuckets()));
    return forced.withFallback(config).withFallback(buckets);
  }

  private static boolean joinEndpoint(String systemName, MetricsSettings settings) {
    MetricsSettings.Prometheus wanted = settings.prometheus();
    if (endpoint == null) {
      PrometheusReporter source = reporter;
      try {
        endpoint =
            PrometheusEndpoint.start(
                wanted.host(), wanted.port(), wanted.path(), source::scrapeData);
      } catch (IOException | RuntimeException e) {
        log.error(
            "Actor system [{}]: cannot serve Prometheus metrics on {}:{} (zbmd.metrics.prometheus);"
                + " metrics are recorded but not served",
            systemName,
            wanted.host(),
            wanted.port(),
            e);
        return false;
      }
      log.info(
          "Actor system [{}]: serving Prometheus metrics on http://{}:{}{}",
          systemName,
          wanted.host(),
          endpoint.address().getPort(),
          wanted.path());
    } else if (wanted.port() != 0 && wanted.port() != endpoint.address().getPort()) {
      log.warn(
          "Actor system [{}] asks for Prometheus on {}:{}, but metrics are JVM-wide and already"
              + " served on {}",
          systemName,
          wanted.host(),
          wanted.port(),
          endpoint.address());
    }
    endpointUsers++;
    return true;
  }

  private static synchronized void release(Lease lease) {
    if (lease.servesEndpoint && --endpointUsers == 0) {
      endpoint.stop();
      endpoint = null;
    }
    if (--users == 0) {
      reporter = null;
      try {
        // Stops the reporter (after a last snapshot) and Kamon's ticker and module threads.
        FutureConverters.asJava(Kamon.stop())
            .toCompletableFuture()
            .get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Kamon did not stop within {} s", STOP_TIMEOUT_SECONDS, e);
      }
    }
  }

  /** One actor system's use of Kamon; released once when the system terminates. */
  public static final class Lease {
    private final boolean servesEndpoint;
    private final AtomicBoolean released = new AtomicBoolean();

    private Lease(boolean servesEndpoint) {
      this.servesEndpoint = servesEndpoint;
    }

    /** The bound endpoint address, if this system enabled the endpoint and it serves. */
    public Optional<InetSocketAddress> prometheusAddress() {
      synchronized (KamonRuntime.class) {
        return servesEndpoint && !released.get() && endpoint != null
            ? Optional.of(endpoint.address())
            : Optional.empty();
      }
    }

    /** Leaves Kamon; the first call counts, later ones do nothing. */
    public void release() {
      if (released.compareAndSet(false, true)) {
        KamonRuntime.release(this);
      }
    }
  }
}
