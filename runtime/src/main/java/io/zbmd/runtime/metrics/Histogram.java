package io.zbmd.runtime.metrics;

/**
 * A distribution of recorded values, exported to Prometheus as a {@code histogram} ({@code
 * _bucket}, {@code _count} and {@code _sum} series). Values are whole numbers in the histogram's
 * {@link MetricUnit}; record nanoseconds for times and Prometheus sees seconds. Obtain it once from
 * {@link ZbmdMetrics#histogram(String, MetricUnit, Tags)} and keep it.
 *
 * <pre>{@code
 * Histogram step = ZbmdMetrics.get(system)
 *     .histogram("zbmd_train_step_time", MetricUnit.NANOSECONDS, Tags.of("model", "mnist"));
 * long start = System.nanoTime();
 * trainStep();
 * step.record(System.nanoTime() - start);
 * }</pre>
 */
public interface Histogram {
  /**
   * Records one value. A negative value counts as 0; a value above the histogram's range (one hour
   * in nanoseconds by default) counts as the top of the range, with a warning from Kamon.
   */
  void record(long value);
}
