package io.zbmd.gpu.internal;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.MemoryUsage;
import io.zbmd.runtime.metrics.Gauge;
import io.zbmd.runtime.metrics.MetricUnit;
import io.zbmd.runtime.metrics.Tags;
import io.zbmd.runtime.metrics.ZbmdMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Device memory as Prometheus gauges, per device: {@code zbmd_device_memory_used_bytes} (accounted
 * allocations) and {@code zbmd_device_memory_limit_bytes} (the configured limit, or the device's
 * total without one). Sampled on a schedule rather than on every allocation, which a training step
 * makes dozens of.
 */
public final class DeviceMemoryMetrics implements Runnable {
  private record Series(DeviceId device, Gauge used, Gauge limit) {}

  private final List<Series> series = new ArrayList<>();
  private final Function<DeviceId, MemoryUsage> memory;

  public DeviceMemoryMetrics(
      ZbmdMetrics metrics, List<DeviceId> devices, Function<DeviceId, MemoryUsage> memory) {
    this.memory = memory;
    for (DeviceId d : devices) {
      Tags tags = Tags.of("device", d.toString());
      series.add(new Series(d,
          metrics.gauge("zbmd_device_memory_used", MetricUnit.BYTES, tags),
          metrics.gauge("zbmd_device_memory_limit", MetricUnit.BYTES, tags)));
    }
  }

  @Override
  public void run() {
    for (Series s : series) {
      MemoryUsage m = memory.apply(s.device());
      s.used().update(m.used());
      if (m.capacity() != Long.MAX_VALUE) {
        s.limit().update(m.capacity());
      }
    }
  }
}
