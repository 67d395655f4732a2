package io.zbmd.runtime.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;

/**
 * The {@code zbmd.metrics} settings, read once when {@link ZbmdMetrics} starts for a system. See
 * {@code reference.conf} for the meaning of each key.
 *
 * <pre>{@code
 * MetricsSettings settings = ZbmdMetrics.get(system).settings();
 * if (settings.prometheus().enabled()) { ... }
 * }</pre>
 *
 * @param enabled {@code zbmd.metrics.enabled}: off makes every instrument a no-op
 * @param tickInterval {@code zbmd.metrics.tick-interval}: how often Kamon publishes snapshots
 * @param systemTag {@code zbmd.metrics.system-tag}: whether instruments carry {@code actor_system}
 * @param processingTimeBuckets {@code zbmd.metrics.actors.processing-time-buckets}, in seconds
 * @param prometheus {@code zbmd.metrics.prometheus}: the scrape endpoint
 */
public record MetricsSettings(
    boolean enabled,
    Duration tickInterval,
    boolean systemTag,
    List<Double> processingTimeBuckets,
    Prometheus prometheus) {

  /** Config path of these settings. */
  public static final String PATH = "zbmd.metrics";

  /** Copies the bucket list. */
  public MetricsSettings {
    processingTimeBuckets = List.copyOf(processingTimeBuckets);
  }

  /**
   * The Prometheus scrape endpoint.
   *
   * @param enabled whether zbmd serves the endpoint at all
   * @param host the address to bind
   * @param port the port to bind; 0 picks a free one
   * @param path the HTTP path of the scrape data
   */
  public record Prometheus(boolean enabled, String host, int port, String path) {}

  /** Reads {@value #PATH} from a full configuration, such as {@code system.settings().config()}. */
  public static MetricsSettings fromConfig(Config config) {
    Config c = config.getConfig(PATH);
    Duration tick = c.getDuration("tick-interval");
    if (tick.isZero() || tick.isNegative()) {
      throw new ConfigException.BadValue(
          c.origin(), PATH + ".tick-interval", "must be positive, was " + tick);
    }
    List<Double> buckets = c.getDoubleList("actors.processing-time-buckets");
    for (int i = 1; i < buckets.size(); i++) {
      if (buckets.get(i) <= buckets.get(i - 1)) {
        throw new ConfigException.BadValue(
            c.origin(), PATH + ".actors.processing-time-buckets", "must increase, was " + buckets);
      }
    }
    int port = c.getInt("prometheus.port");
    if (port < 0 || port > 65535) {
      throw new ConfigException.BadValue(
          c.origin(), PATH + ".prometheus.port", "must be 0 to 65535, was " + port);
    }
    String path = c.getString("prometheus.path");
    if (!path.startsWith("/")) {
      throw new ConfigException.BadValue(
          c.origin(), PATH + ".prometheus.path", "must start with /, was " + path);
    }
    return new MetricsSettings(
        c.getBoolean("enabled"),
        tick,
        c.getBoolean("system-tag"),
        buckets,
        new Prometheus(
            c.getBoolean("prometheus.enabled"), c.getString("prometheus.host"), port, path));
  }
}
