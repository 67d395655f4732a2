package io.zbmd.benchmarks.messaging;

/**
 * One number the messaging benchmark reports, with its unit and which direction is better.
 *
 * <pre>{@code
 * double rtt = report.value("zbmd", Figure.PING_PONG_ROUND_TRIP_NS);
 * }</pre>
 */
public enum Figure {
  PING_PONG_ROUND_TRIPS_PER_S("pingPongRoundTripsPerS", "ping-pong round trips", "/s", true),
  PING_PONG_ROUND_TRIP_NS("pingPongRoundTripNs", "ping-pong mean round trip", "ns", false),
  RING_HOPS_PER_S("ringHopsPerS", "ring hops", "/s", true),
  FAN_IN_MSGS_PER_S("fanInMsgsPerS", "fan-in messages", "/s", true),
  TELL_LATENCY_P50_NS("tellLatencyP50Ns", "tell latency p50", "ns", false, 0.5),
  TELL_LATENCY_P99_NS("tellLatencyP99Ns", "tell latency p99", "ns", false, 0.99),
  TELL_LATENCY_P999_NS("tellLatencyP999Ns", "tell latency p99.9", "ns", false, 0.999);

  private final String key;
  private final String label;
  private final String unit;
  private final boolean higherIsBetter;
  private final double quantile;

  Figure(String key, String label, String unit, boolean higherIsBetter) {
    this(key, label, unit, higherIsBetter, Double.NaN);
  }

  Figure(String key, String label, String unit, boolean higherIsBetter, double quantile) {
    this.key = key;
    this.label = label;
    this.unit = unit;
    this.higherIsBetter = higherIsBetter;
    this.quantile = quantile;
  }

  /** The name used in JSON. */
  public String key() {
    return key;
  }

  public String label() {
    return label;
  }

  public String unit() {
    return unit;
  }

  /** True for the percentiles of one-way tell latency. */
  public boolean isLatencyPercentile() {
    return !Double.isNaN(quantile);
  }

  /** The quantile (0..1) of a latency percentile; NaN for the other figures. */
  public double quantile() {
    return quantile;
  }

  /** True for throughputs, false for times. */
  public boolean higherIsBetter() {
    return higherIsBetter;
  }

  /**
   * How much better {@code value} is than {@code baseline}: above 1 means better, whatever the
   * direction of the figure (a throughput ratio, or the inverse ratio of times).
   */
  public double advantage(double value, double baseline) {
    return higherIsBetter ? value / baseline : baseline / value;
  }
}
