/**
 * Metrics for zbmd actor systems: {@link io.zbmd.runtime.metrics.ZbmdMetrics} hands out counters,
 * gauges and histograms backed by Kamon, {@link io.zbmd.runtime.metrics.Metered} counts and times
 * the messages of an actor, and with {@code zbmd.metrics.prometheus.enabled = on} the metrics of
 * the JVM are served for Prometheus to scrape. Kamon is started with the first actor system that
 * uses metrics and stopped with the last; everything in {@code internal} may change without notice.
 *
 * <pre>{@code
 * ActorSystem<Void> system = Zbmd.create(guardian, "app",
 *     ConfigFactory.parseString("zbmd.metrics.prometheus.enabled = on"));
 * ZbmdMetrics.get(system).counter("zbmd_jobs_total", Tags.of("queue", "train")).increment();
 * }</pre>
 */
package io.zbmd.runtime.metrics;
