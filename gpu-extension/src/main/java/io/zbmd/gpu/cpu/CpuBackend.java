package io.zbmd.gpu.cpu;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceKind;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.internal.CheckedOps;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ForkJoinPool;

/** The CPU backend: one device, {@code cpu:0}, with its stream and a pool for split loops. */
final class CpuBackend implements Backend {
  static final DeviceId CPU0 = new DeviceId("cpu", 0);

  private final Device device;
  private final ForkJoinPool pool;
  private final CpuStream stream;
  // Live buffers, so that close() frees what users still hold, as the Backend contract says.
  // Weakly held: an unreachable buffer must stay collectable, so that the leak detector sees it
  // and JavaCPP's deallocator frees its storage.
  private final Set<DeviceBuffer> live =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  private volatile boolean closed;

  CpuBackend(CpuSettings settings) {
    this.device = new Device(CPU0, DeviceKind.CPU,
        "CPU (" + Runtime.getRuntime().availableProcessors() + " cores, OpenBLAS)",
        settings.effectiveMemory());
    this.pool = new ForkJoinPool(settings.effectiveThreads());
    // Checked: no bad offset or stride reaches OpenBLAS or a loop over off-heap memory.
    this.stream = new CpuStream(device,
        new CheckedOps(new CpuOps(CPU0, pool, settings.parallelThreshold()), CpuBuffer.class));
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
    if (closed) {
      throw new IllegalStateException("the cpu backend is closed; cannot allocate for " + owner);
    }
    CpuBuffer buffer = new CpuBuffer(id, dtype, elements, owner);
    live.add(buffer);
    buffer.addFreeListener(live::remove);
    return buffer;
  }

  @Override
  public DeviceStream stream(DeviceId id) {
    checkDevice(id);
    return stream;
  }

  @Override
  public void close() {
    closed = true;
    stream.close();
    pool.shutdown();
    List<DeviceBuffer> remaining;
    synchronized (live) {
      remaining = List.copyOf(live);
    }
    for (DeviceBuffer b : remaining) {
      while (!b.isFreed()) {
        try {
          b.release();
        } catch (IllegalStateException raced) {
          break; // released concurrently by its owner: freed either way
        }
      }
    }
  }

  private static void checkDevice(DeviceId id) {
    if (!CPU0.equals(id)) {
      throw new IllegalArgumentException("the cpu backend has one device, cpu:0; no " + id);
    }
  }
}
