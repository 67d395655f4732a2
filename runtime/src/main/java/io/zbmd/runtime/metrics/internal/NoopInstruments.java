package io.zbmd.runtime.metrics.internal;

import io.zbmd.runtime.metrics.Counter;
import io.zbmd.runtime.metrics.Gauge;
import io.zbmd.runtime.metrics.Histogram;
import org.apache.pekko.annotation.InternalApi;

/** Instruments that record nothing, handed out when {@code zbmd.metrics.enabled = off}. */
@InternalApi
public enum NoopInstruments implements Counter, Gauge, Histogram {
  INSTANCE;

  @Override
  public void increment() {}

  @Override
  public void increment(long times) {}

  @Override
  public void update(double value) {}

  @Override
  public void decrement() {}

  @Override
  public void record(long value) {}
}
