package io.zbmd.testkit.faults;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Backend} that wraps any other and injects the faults of a {@link FaultPlan},
 * reproducibly: kernel failures, out-of-memory and device loss, each as the typed exception a real
 * device would throw, always before the delegate runs the failing op or allocation (so nothing is
 * half-written silently). The faults it injected are in {@link #faultLog()}. Its devices are the
 * delegate's, relabelled under the backend name {@code faulty} ({@code cpu:0} becomes {@code
 * faulty:0}): its buffers report that id, and its ops accept only its own buffers. Composite ops
 * ({@code default} methods of {@link io.zbmd.gpu.Ops}) count as the primitives they call. {@link
 * #close()} closes the delegate. Config can load it too, through {@link
 * FaultInjectingBackendProvider}.
 *
 * <pre>{@code
 * FaultPlan plan = FaultPlan.builder().seed(7).lostAtOp(3).build();
 * try (FaultInjectingBackend faulty = FaultInjectingBackend.wrap(cpuBackend, plan)) {
 *   DeviceId dev = faulty.devices().get(0).id(); // faulty:0
 *   DeviceBuffer a = faulty.allocate(dev, DType.FLOAT32, 16, "test");
 *   faulty.stream(dev).submit(ops -> { ops.fill(a, 0, 16, 1f); return null; });
 * }
 * }</pre>
 */
public final class FaultInjectingBackend implements Backend {
  /** The backend name its devices carry, and its provider's name. */
  public static final String NAME = "faulty";

  private final Backend delegate;
  private final FaultPlan plan;
  private final FaultLog log;
  private final Map<DeviceId, FaultyDevice> devices = new LinkedHashMap<>();
  private final Map<DeviceId, FaultyStream> streams = new LinkedHashMap<>();
  private final List<Device> deviceList;

  private FaultInjectingBackend(Backend delegate, FaultPlan plan) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.plan = Objects.requireNonNull(plan, "plan");
    this.log = new FaultLog(plan);
    for (Device d : delegate.devices()) {
      DeviceId id = new DeviceId(NAME, d.id().index());
      Device relabelled =
          new Device(id, d.kind(), d.name() + ", faults injected over " + d.id(), d.totalMemory());
      FaultyDevice fd = new FaultyDevice(relabelled, d.id(), plan, log);
      if (devices.putIfAbsent(id, fd) != null) {
        throw new IllegalArgumentException(
            "backend "
                + delegate.name()
                + " has two devices with index "
                + d.id().index()
                + "; cannot label both "
                + id);
      }
      streams.put(id, new FaultyStream(fd, delegate.stream(d.id())));
    }
    this.deviceList = devices.values().stream().map(FaultyDevice::device).toList();
  }

  /** Wraps {@code delegate}, which the returned backend then owns (closing it closes both). */
  public static FaultInjectingBackend wrap(Backend delegate, FaultPlan plan) {
    return new FaultInjectingBackend(delegate, plan);
  }

  /** The plan this backend follows. */
  public FaultPlan plan() {
    return plan;
  }

  /** The faults injected so far. */
  public FaultLog faultLog() {
    return log;
  }

  /** The wrapped backend. */
  public Backend delegate() {
    return delegate;
  }

  /** True once {@code device} was lost (at {@code lost-at-op}). */
  public boolean isLost(DeviceId device) {
    return device(device).isLost();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Device> devices() {
    return deviceList;
  }

  @Override
  public DeviceBuffer allocate(DeviceId device, DType dtype, long elements, String owner) {
    FaultyDevice d = device(device);
    long bytes = Math.multiplyExact(Math.max(elements, 0), (long) dtype.byteSize());
    d.reserve(bytes);
    DeviceBuffer inner;
    try {
      inner = delegate.allocate(d.delegateId(), dtype, elements, owner);
    } catch (RuntimeException | Error e) {
      d.unreserve(bytes);
      throw e;
    }
    return new FaultyBuffer(device, inner);
  }

  @Override
  public DeviceStream stream(DeviceId device) {
    device(device);
    return streams.get(device);
  }

  @Override
  public void bindThread(DeviceId device) {
    delegate.bindThread(device(device).delegateId());
  }

  /** The delegate's free memory, capped by what {@code oom-after-bytes} leaves. */
  @Override
  public long freeMemory(DeviceId device) {
    FaultyDevice d = device(device);
    long free = delegate.freeMemory(d.delegateId());
    long budget = d.remainingBudget();
    return budget < 0 ? free : free < 0 ? budget : Math.min(free, budget);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "FaultInjectingBackend(over " + delegate.name() + ", " + plan + ")";
  }

  private FaultyDevice device(DeviceId id) {
    FaultyDevice d = devices.get(id);
    if (d == null) {
      throw new IllegalArgumentException(
          "the faulty backend has devices "
              + devices.keySet()
              + " (over "
              + delegate.name()
              + "); no "
              + id);
    }
    return d;
  }
}
