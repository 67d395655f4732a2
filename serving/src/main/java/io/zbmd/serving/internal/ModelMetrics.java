package io.zbmd.serving.internal;

import io.zbmd.runtime.metrics.Counter;
import io.zbmd.runtime.metrics.Gauge;
import io.zbmd.runtime.metrics.Histogram;
import io.zbmd.runtime.metrics.MetricUnit;
import io.zbmd.runtime.metrics.Tags;
import io.zbmd.runtime.metrics.ZbmdMetrics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The instruments of one served model, looked up once. */
public final class ModelMetrics {
  public static final String REQUESTS = "zbmd_inference_requests_total";
  public static final String REQUEST_DURATION = "zbmd_inference_request_duration";
  public static final String QUEUE_DURATION = "zbmd_inference_queue_duration";
  public static final String BATCH_SIZE = "zbmd_inference_batch_size";
  public static final String QUEUE_DEPTH = "zbmd_inference_queue_depth";

  private final ZbmdMetrics metrics;
  private final String model;
  private final ConcurrentMap<String, Counter> outcomes = new ConcurrentHashMap<>();
  public final Histogram requestDuration;
  public final Histogram queueDuration;
  public final Histogram batchSize;
  public final Gauge queueDepth;

  public ModelMetrics(ZbmdMetrics metrics, String model) {
    this.metrics = metrics;
    this.model = model;
    Tags tags = Tags.of("model", model);
    requestDuration = metrics.histogram(REQUEST_DURATION, MetricUnit.NANOSECONDS, tags);
    queueDuration = metrics.histogram(QUEUE_DURATION, MetricUnit.NANOSECONDS, tags);
    batchSize = metrics.histogram(BATCH_SIZE, MetricUnit.NONE, tags);
    queueDepth = metrics.gauge(QUEUE_DEPTH, tags);
  }

  /** Counts one answered request; outcomes are a short fixed set (success, bad_request, ...). */
  public void answered(String outcome, long startNanos) {
    outcomes
        .computeIfAbsent(outcome, o -> metrics.counter(REQUESTS, Tags.of("model", model, "outcome", o)))
        .increment();
    requestDuration.record(System.nanoTime() - startNanos);
  }
}
