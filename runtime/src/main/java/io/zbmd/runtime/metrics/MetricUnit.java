package io.zbmd.runtime.metrics;

/**
 * The unit of a gauge's or histogram's values. Prometheus wants base units, so time is exported in
 * seconds (the name gets {@code _seconds}) and information in bytes (the name gets {@code _bytes}),
 * whatever unit the values were recorded in.
 *
 * <pre>{@code
 * metrics.histogram("zbmd_kernel_time", MetricUnit.NANOSECONDS, Tags.empty()).record(elapsedNanos);
 * }</pre>
 */
public enum MetricUnit {
  /** A plain number: counts, sizes in elements, ratios. */
  NONE,
  NANOSECONDS,
  MICROSECONDS,
  MILLISECONDS,
  SECONDS,
  BYTES,
  KILOBYTES,
  MEGABYTES,
  /** A percentage, 0 to 100. */
  PERCENTAGE
}
