package io.zbmd.benchmarks.messaging;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One figure over the measured rounds, per variant, with each variant's advantage over the
 * {@value Variant#PEKKO_NAME} baseline.
 *
 * <pre>{@code
 * FigureSummary rtt = report.summary(Figure.PING_PONG_ROUND_TRIP_NS);
 * double better = rtt.advantage().get("zbmd"); // > 1: zbmd is better
 * }</pre>
 *
 * @param figure the figure's {@link Figure#key()}
 * @param unit its unit
 * @param higherIsBetter true for throughputs
 * @param method how {@code value} and {@code advantage} were computed, in words
 * @param value variant name to its figure: the median of the measured rounds for throughputs and
 *     the mean round trip; for latency percentiles, the percentile of all the samples of all the
 *     measured rounds pooled (one round's p99.9 rests on its ten slowest samples only)
 * @param rounds variant name to the statistics of its per-round values
 * @param advantage variant name to its {@link Figure#advantage} over the baseline, above 1 when
 *     the variant is better than plain Pekko: for throughputs, the median over the rounds of the
 *     ratio to the baseline of the same round; for latency percentiles, the ratio of the pooled
 *     percentiles
 */
public record FigureSummary(
    String figure,
    String unit,
    boolean higherIsBetter,
    String method,
    Map<String, Double> value,
    Map<String, Stats> rounds,
    Map<String, Double> advantage) {

  public FigureSummary {
    value = Collections.unmodifiableMap(new LinkedHashMap<>(value));
    rounds = Collections.unmodifiableMap(new LinkedHashMap<>(rounds));
    advantage = Collections.unmodifiableMap(new LinkedHashMap<>(advantage));
  }

  /**
   * Median, minimum and maximum of one variant's measured rounds, and the rounds themselves.
   *
   * <pre>{@code
   * Stats s = Stats.of(List.of(1.0, 3.0, 2.0)); // median 2.0
   * }</pre>
   */
  public record Stats(double median, double min, double max, List<Double> rounds) {
    public Stats {
      rounds = List.copyOf(rounds);
    }

    public static Stats of(List<Double> values) {
      double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      int n = sorted.length;
      double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
      return new Stats(median, sorted[0], sorted[n - 1], values);
    }

    /** Half the range as a fraction of the median: how much the rounds disagree. */
    public double spread() {
      return (max - min) / 2 / median;
    }
  }
}
