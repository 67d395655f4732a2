package io.zbmd.benchmarks.messaging;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one variant in one round.
 *
 * <pre>{@code
 * double hops = result.figures().get(Figure.RING_HOPS_PER_S.key());
 * }</pre>
 *
 * @param round 1-based; warm-up rounds are numbered too and flagged
 * @param warmup true for the discarded warm-up rounds
 * @param position 0 if this variant ran first in its round, 1 if second, and so on
 * @param variant the variant's name
 * @param loadAverage one-minute system load average when the variant's first workload started
 * @param figures {@link Figure#key()} to value, in {@link Figure} order
 */
public record RoundResult(
    int round,
    boolean warmup,
    int position,
    String variant,
    double loadAverage,
    Map<String, Double> figures) {

  public RoundResult {
    Map<String, Double> ordered = new LinkedHashMap<>();
    for (Figure f : Figure.values()) {
      if (figures.containsKey(f.key())) {
        ordered.put(f.key(), figures.get(f.key()));
      }
    }
    figures = Collections.unmodifiableMap(ordered);
  }

  public double value(Figure figure) {
    return figures.get(figure.key());
  }
}
