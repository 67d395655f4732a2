package io.zbmd.gpu.cpu;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceKind;
import io.zbmd.gpu.DeviceStream;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/** The CPU backend: one device, {@code cpu:0}, with its stream and a pool for split loops. */
final class CpuBackend implements Backend {
  static final DeviceId CPU0 = new DeviceId("cpu", 0);

  private final Device device;
  private final ForkJoinPool pool;
  private final CpuStream stream;

  CpuBackend(CpuSettings settings) {
    this.device = new Device(CPU0, DeviceKind.CPU,
        "CPU (" + Runtime.getRuntime().availableProcessors() + " cores, OpenBLAS)",
        settings.effectiveMemory());
    this.pool = new ForkJoinPool(settings.effectiveThreads());
    this.stream = new CpuStream(device, new CpuOps(CPU0, pool, settings.parallelThreshold()));
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public List<Device> devices() {
    return List.of(device);
  }

  @Override
  public DeviceBuffer allocate(DeviceId id, DType dtype, long elements, String owner) {
    checkDevice(id);
    return new CpuBuffer(id, dtype, elements, owner);
  }

  @Override
  public DeviceStream stream(DeviceId id) {
    checkDevice(id);
    return stream;
  }

  @Override
  public void close() {
    stream.close();
    pool.shutdown();
  }

  private static void checkDevice(DeviceId id) {
    if (!CPU0.equals(id)) {
      throw new IllegalArgumentException("the cpu backend has one device, cpu:0; no " + id);
    }
  }
}
