package io.zbmd.runtime.metrics.internal;

import io.zbmd.runtime.metrics.Counter;
import io.zbmd.runtime.metrics.Gauge;
import io.zbmd.runtime.metrics.Histogram;
import io.zbmd.runtime.metrics.MetricUnit;
import io.zbmd.runtime.metrics.Tags;
import java.util.HashMap;
import java.util.Map;
import kamon.Kamon;
import kamon.metric.MeasurementUnit;
import kamon.tag.TagSet;
import org.apache.pekko.annotation.InternalApi;

/**
 * Looks up Kamon instruments and wraps them in zbmd's instrument interfaces, so that no Kamon type
 * reaches the API. Kamon returns the same instrument for the same name and tags, so two lookups
 * feed one series.
 */
@InternalApi
public final class KamonInstruments {
  private KamonInstruments() {}

  public static Counter counter(String name, Tags tags) {
    return new KamonCounter(Kamon.counter(name).withTags(tagSet(tags)));
  }

  public static Gauge gauge(String name, MetricUnit unit, Tags tags) {
    return new KamonGauge(Kamon.gauge(name, unit(unit)).withTags(tagSet(tags)));
  }

  public static Histogram histogram(String name, MetricUnit unit, Tags tags) {
    return new KamonHistogram(Kamon.histogram(name, unit(unit)).withTags(tagSet(tags)));
  }

  static MeasurementUnit unit(MetricUnit unit) {
    return switch (unit) {
      case NONE -> MeasurementUnit.none();
      case NANOSECONDS -> MeasurementUnit.time().nanoseconds();
      case MICROSECONDS -> MeasurementUnit.time().microseconds();
      case MILLISECONDS -> MeasurementUnit.time().milliseconds();
      case SECONDS -> MeasurementUnit.time().seconds();
      case BYTES -> MeasurementUnit.information().bytes();
      case KILOBYTES -> MeasurementUnit.information().kilobytes();
      case MEGABYTES -> MeasurementUnit.information().megabytes();
      case PERCENTAGE -> MeasurementUnit.percentage();
    };
  }

  private static TagSet tagSet(Tags tags) {
    Map<String, Object> values = new HashMap<>(tags.values());
    return TagSet.from(values);
  }

  private record KamonCounter(kamon.metric.Counter kamon) implements Counter {
    @Override
    public void increment() {
      kamon.increment();
    }

    @Override
    public void increment(long times) {
      kamon.increment(times);
    }
  }

  private record KamonGauge(kamon.metric.Gauge kamon) implements Gauge {
    @Override
    public void update(double value) {
      kamon.update(value);
    }

    @Override
    public void increment() {
      kamon.increment();
    }

    @Override
    public void decrement() {
      kamon.decrement();
    }
  }

  private record KamonHistogram(kamon.metric.Histogram kamon) implements Histogram {
    @Override
    public void record(long value) {
      // Kamon would record a negative value as the highest trackable one (an hour, for times).
      kamon.record(Math.max(0, value));
    }
  }
}
