package io.zbmd.runtime.metrics;

/**
 * A value that goes up and down and keeps its last setting, exported to Prometheus as a {@code
 * gauge}. Obtain it once from {@link ZbmdMetrics#gauge(String, MetricUnit, Tags)} and keep it.
 *
 * <pre>{@code
 * Gauge used = ZbmdMetrics.get(system).gauge("zbmd_device_memory_used", MetricUnit.BYTES,
 *     Tags.of("device", "cuda:0"));
 * used.update(allocator.usedBytes());
 * }</pre>
 */
public interface Gauge {
  /** Sets the value. */
  void update(double value);

  /** Adds one. */
  void increment();

  /** Subtracts one. */
  void decrement();
}
