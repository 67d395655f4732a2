package io.zbmd.runtime.metrics;

/**
 * A monotonically increasing count, exported to Prometheus as a {@code counter}. Obtain it once
 * from {@link ZbmdMetrics#counter(String, Tags)} and keep it: the lookup costs map probes, an
 * increment does not.
 *
 * <pre>{@code
 * Counter batches =
 *     ZbmdMetrics.get(system).counter("zbmd_batches_total", Tags.of("model", "mnist"));
 * batches.increment();
 * }</pre>
 */
public interface Counter {
  /** Adds one. */
  void increment();

  /** Adds {@code times}; a negative amount is ignored (with a warning from Kamon). */
  void increment(long times);
}
