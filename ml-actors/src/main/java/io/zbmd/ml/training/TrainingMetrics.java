package io.zbmd.ml.training;

import io.zbmd.runtime.metrics.Counter;
import io.zbmd.runtime.metrics.Gauge;
import io.zbmd.runtime.metrics.Histogram;
import io.zbmd.runtime.metrics.MetricUnit;
import io.zbmd.runtime.metrics.Tags;
import io.zbmd.runtime.metrics.ZbmdMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a training run records on Prometheus, in its naming (base units, {@code _total} counters):
 * {@code zbmd_training_steps_total}, {@code zbmd_training_samples_total}, {@code
 * zbmd_training_step_duration_seconds} (histogram), {@code zbmd_training_loss} and {@code
 * zbmd_training_test_accuracy} (gauges, the latest), {@code zbmd_training_epochs_total}, {@code
 * zbmd_training_checkpoints_total} and {@code zbmd_training_recoveries_total{kind}}. The
 * instruments are looked up once, when the run starts; with metrics off they are no-ops.
 */
final class TrainingMetrics {
  private final ZbmdMetrics metrics;
  private final Counter steps;
  private final Counter samples;
  private final Histogram stepTime;
  private final Gauge loss;
  private final Gauge accuracy;
  private final Counter epochs;
  private final Counter checkpoints;
  private final Map<String, Counter> recoveries = new ConcurrentHashMap<>();

  TrainingMetrics(ZbmdMetrics metrics) {
    this.metrics = metrics;
    Tags none = Tags.empty();
    steps = metrics.counter("zbmd_training_steps_total", none);
    samples = metrics.counter("zbmd_training_samples_total", none);
    stepTime = metrics.histogram("zbmd_training_step_duration", MetricUnit.NANOSECONDS, none);
    loss = metrics.gauge("zbmd_training_loss", none);
    accuracy = metrics.gauge("zbmd_training_test_accuracy", none);
    epochs = metrics.counter("zbmd_training_epochs_total", none);
    checkpoints = metrics.counter("zbmd_training_checkpoints_total", none);
  }

  void stepTaken(int batchSamples, long nanos, float stepLoss) {
    steps.increment();
    samples.increment(batchSamples);
    stepTime.record(nanos);
    if (Float.isFinite(stepLoss)) {
      loss.update(stepLoss);
    }
  }

  /** Records what an event says: epochs, evaluations, checkpoints and recoveries by kind. */
  void record(TrainingSupervisor.Event e) {
    if (e instanceof TrainingSupervisor.EpochCompleted c) {
      epochs.increment();
      if (Double.isFinite(c.testAccuracy())) {
        accuracy.update(c.testAccuracy());
      }
    } else if (e instanceof TrainingSupervisor.CheckpointRecorded) {
      checkpoints.increment();
    } else if (e instanceof TrainingSupervisor.BatchSizeReduced) {
      recovery("batch_reduced");
    } else if (e instanceof TrainingSupervisor.EvaluationBatchReduced) {
      recovery("evaluation_batch_reduced");
    } else if (e instanceof TrainingSupervisor.DeviceReplaced) {
      recovery("device_replaced");
    } else if (e instanceof TrainingSupervisor.StepRetried) {
      recovery("step_retried");
    } else if (e instanceof TrainingSupervisor.EvaluationRetried) {
      recovery("evaluation_retried");
    }
  }

  private void recovery(String kind) {
    recoveries
        .computeIfAbsent(kind, k ->
            metrics.counter("zbmd_training_recoveries_total", Tags.of("kind", k)))
        .increment();
  }
}
