package io.zbmd.serving;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;

/**
 * The {@code zbmd.serving} settings, read once when an {@link InferenceServer} starts; each key is
 * documented in this module's {@code reference.conf}.
 *
 * <pre>{@code
 * ServingSettings settings = ServingSettings.fromConfig(system.settings().config());
 * }</pre>
 *
 * @param host address to bind
 * @param port TCP port; 0 picks a free one
 * @param maxBodyBytes largest request body accepted
 * @param bodyReadTimeout how long a client may take to send its body
 * @param readinessGrace how long readiness reports 503 before the port closes at shutdown
 * @param shutdownTimeout how long shutdown waits for accepted requests
 * @param batching the batching defaults of every model
 */
public record ServingSettings(
    String host,
    int port,
    long maxBodyBytes,
    Duration bodyReadTimeout,
    Duration readinessGrace,
    Duration shutdownTimeout,
    Batching batching) {

  /** Config path of these settings. */
  public static final String PATH = "zbmd.serving";

  /**
   * Dynamic batching of one model, with Triton's names and meaning.
   *
   * @param enabled off: one request per {@code Predict}
   * @param maxBatchSize most rows in one batch, and in one request
   * @param maxQueueDelayMicros how long the oldest request may wait for a fuller batch
   * @param preferredBatchSizes batch sizes dispatched at once when they can be formed
   * @param maxQueueSize most requests queued per instance; beyond, 503 at once
   * @param defaultTimeout longest a request waits in the queue; a request may lower it
   * @param instances instances (batchers) per model
   */
  public record Batching(
      boolean enabled,
      int maxBatchSize,
      long maxQueueDelayMicros,
      List<Integer> preferredBatchSizes,
      int maxQueueSize,
      Duration defaultTimeout,
      int instances) {
    public Batching {
      preferredBatchSizes = List.copyOf(preferredBatchSizes);
      if (maxBatchSize < 1) {
        throw new IllegalArgumentException("max-batch-size must be at least 1, was " + maxBatchSize);
      }
      if (maxQueueDelayMicros < 0) {
        throw new IllegalArgumentException("max-queue-delay must be >= 0, was " + maxQueueDelayMicros);
      }
      if (maxQueueSize < 1) {
        throw new IllegalArgumentException("max-queue-size must be at least 1, was " + maxQueueSize);
      }
      if (instances < 1) {
        throw new IllegalArgumentException("instances must be at least 1, was " + instances);
      }
      if (defaultTimeout.isZero() || defaultTimeout.isNegative()) {
        throw new IllegalArgumentException("default-timeout must be positive, was " + defaultTimeout);
      }
      for (int p : preferredBatchSizes) {
        if (p < 1 || p > maxBatchSize) {
          throw new IllegalArgumentException(
              "preferred-batch-sizes " + preferredBatchSizes + " must lie in 1.." + maxBatchSize);
        }
      }
    }

    /** These settings with batching on or off. */
    public Batching withEnabled(boolean on) {
      return new Batching(on, maxBatchSize, maxQueueDelayMicros, preferredBatchSizes, maxQueueSize,
          defaultTimeout, instances);
    }

    /** These settings with another queue bound. */
    public Batching withMaxQueueSize(int size) {
      return new Batching(enabled, maxBatchSize, maxQueueDelayMicros, preferredBatchSizes, size,
          defaultTimeout, instances);
    }

    /** These settings with another default timeout. */
    public Batching withDefaultTimeout(Duration timeout) {
      return new Batching(enabled, maxBatchSize, maxQueueDelayMicros, preferredBatchSizes,
          maxQueueSize, timeout, instances);
    }

    static Batching fromConfig(Config c) {
      return new Batching(
          c.getBoolean("enabled"),
          c.getInt("max-batch-size"),
          c.getDuration("max-queue-delay").toNanos() / 1000,
          c.getIntList("preferred-batch-sizes"),
          c.getInt("max-queue-size"),
          c.getDuration("default-timeout"),
          c.getInt("instances"));
    }
  }

  /** Reads {@value #PATH} from a full configuration. */
  public static ServingSettings fromConfig(Config config) {
    Config c = config.getConfig(PATH);
    int port = c.getInt("port");
    if (port < 0 || port > 65535) {
      throw new ConfigException.BadValue(c.origin(), PATH + ".port", "must be 0 to 65535, was " + port);
    }
    long limit = c.getBytes("max-body-size");
    if (limit < 1 || limit > Integer.MAX_VALUE - 8) {
      throw new ConfigException.BadValue(
          c.origin(), PATH + ".max-body-size", "must be 1 B to 2 GiB, was " + limit);
    }
    Batching batching;
    try {
      batching = Batching.fromConfig(c.getConfig("batching"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(c.origin(), PATH + ".batching", e.getMessage());
    }
    return new ServingSettings(
        c.getString("host"),
        port,
        limit,
        c.getDuration("body-read-timeout"),
        c.getDuration("readiness-grace"),
        c.getDuration("shutdown-timeout"),
        batching);
  }

  /** These settings on another address. */
  public ServingSettings withAddress(String newHost, int newPort) {
    return new ServingSettings(newHost, newPort, maxBodyBytes, bodyReadTimeout, readinessGrace,
        shutdownTimeout, batching);
  }
}
