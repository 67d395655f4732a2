package io.zbmd.runtime.metrics;

import io.zbmd.runtime.metrics.internal.KamonInstruments;
import io.zbmd.runtime.metrics.internal.KamonRuntime;
import io.zbmd.runtime.metrics.internal.NoopInstruments;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Metrics of an actor system: counters, gauges and histograms recorded through Kamon, and the
 * Prometheus scrape endpoint ({@code zbmd.metrics}). Kamon keeps one registry per JVM; this
 * extension starts it with the first system that uses metrics and stops it when the last such
 * system terminates, so users never touch Kamon's statics. Instruments with the same name and tags
 * are one series, also across systems, unless {@code zbmd.metrics.system-tag} (on by default) tells
 * them apart. Look instruments up once and keep them; recording is cheap, the lookup is not. The
 * extension starts on first use; to bind the endpoint when the system starts, list it in {@code
 * pekko.actor.typed.extensions = ["io.zbmd.runtime.metrics.ZbmdMetrics$Id"]}.
 *
 * <pre>{@code
 * ZbmdMetrics metrics = ZbmdMetrics.get(system);
 * Counter batches = metrics.counter("zbmd_batches_total", Tags.of("model", "mnist"));
 * batches.increment();
 * metrics.prometheusAddress().ifPresent(a -> System.out.println("metrics on " + a));
 * }</pre>
 */
public final class ZbmdMetrics implements Extension {
  /** Tag naming the actor system, added when {@code zbmd.metrics.system-tag} is on. */
  public static final String SYSTEM_TAG = "actor_system";

  private final MetricsSettings settings;
  private final String systemName;
  private final KamonRuntime.Lease lease;

  private ZbmdMetrics(ActorSystem<?> system) {
    this.settings = MetricsSettings.fromConfig(system.settings().config());
    this.systemName = system.name();
    if (!settings.enabled()) {
      lease = null;
      return;
    }
    KamonRuntime.Lease joined =
        KamonRuntime.acquire(system.name(), settings, system.settings().config());
    lease = joined;
    // Before termination, so that the endpoint is closed when whenTerminated completes; the
    // whenTerminated hook covers systems whose shutdown skips CoordinatedShutdown.
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "zbmd-metrics-release",
            () -> {
              joined.release();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    system.getWhenTerminated().thenRun(joined::release);
  }

  /** The metrics of {@code system}, started on first use. */
  public static ZbmdMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The settings read at start. */
  public MetricsSettings settings() {
    return settings;
  }

  /** Whether instruments record ({@code zbmd.metrics.enabled}); when off they are no-ops. */
  public boolean isEnabled() {
    return lease != null;
  }

  /** The counter {@code name} with {@code tags}, created on first use. */
  public Counter counter(String name, Tags tags) {
    return isEnabled()
        ? KamonInstruments.counter(name, withSystem(tags))
        : NoopInstruments.INSTANCE;
  }

  /** The counter {@code name} without tags (besides the system tag). */
  public Counter counter(String name) {
    return counter(name, Tags.empty());
  }

  /** The gauge {@code name} with {@code tags}, whose values are in {@code unit}. */
  public Gauge gauge(String name, MetricUnit unit, Tags tags) {
    return isEnabled()
        ? KamonInstruments.gauge(name, unit, withSystem(tags))
        : NoopInstruments.INSTANCE;
  }

  /** The gauge {@code name} with {@code tags}, whose values are plain numbers. */
  public Gauge gauge(String name, Tags tags) {
    return gauge(name, MetricUnit.NONE, tags);
  }

  /**
   * The histogram {@code name} with {@code tags}, whose values are in {@code unit}. Prometheus
   * buckets come from {@code kamon.prometheus.buckets}: {@code time-buckets} (seconds) for time
   * units, {@code information-buckets} for bytes, {@code default-buckets} otherwise, unless {@code
   * kamon.prometheus.buckets.custom} names the metric.
   */
  public Histogram histogram(String name, MetricUnit unit, Tags tags) {
    return isEnabled()
        ? KamonInstruments.histogram(name, unit, withSystem(tags))
        : NoopInstruments.INSTANCE;
  }

  /**
   * Where the Prometheus endpoint this system asked for listens, with the real port when {@code
   * zbmd.metrics.prometheus.port = 0}; empty when it is disabled, failed to bind (logged as an
   * error) or the system has terminated.
   */
  public Optional<InetSocketAddress> prometheusAddress() {
    return isEnabled() ? lease.prometheusAddress() : Optional.empty();
  }

  /**
   * The Prometheus text exposition of all metrics of the JVM as of the last tick, whether or not
   * the endpoint is enabled: for serving it from your own HTTP route. Empty when metrics are off.
   */
  public String scrapeData() {
    return isEnabled() ? KamonRuntime.scrapeData() : "";
  }

  private Tags withSystem(Tags tags) {
    return settings.systemTag() ? tags.and(SYSTEM_TAG, systemName) : tags;
  }

  /**
   * Extension id; {@link #getInstance()} lets Pekko load it from {@code
   * pekko.actor.typed.extensions}.
   */
  public static final class Id extends ExtensionId<ZbmdMetrics> {
    private static final Id INSTANCE = new Id();

    private Id() {}

    /** The id, for loading from configuration. */
    public static Id getInstance() {
      return INSTANCE;
    }

    @Override
    public ZbmdMetrics createExtension(ActorSystem<?> system) {
      return new ZbmdMetrics(system);
    }
  }
}
