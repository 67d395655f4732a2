package io.zbmd.ml.tensor;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import java.util.Objects;

/**
 * The plain {@link Allocator} adapters: one allocation function, released with {@link
 * DeviceBuffer#release}.
 */
final class SimpleAllocator implements Allocator {
  /** Allocates {@code n} values of a dtype. */
  @FunctionalInterface
  interface Source {
    DeviceBuffer allocate(DType dtype, long n);
  }

  private final DeviceId device;
  private final Source source;

  SimpleAllocator(DeviceId device, Source source) {
    this.device = Objects.requireNonNull(device, "device");
    this.source = source;
  }

  @Override
  public DeviceId device() {
    return device;
  }

  @Override
  public DeviceBuffer allocate(DType dtype, long elements, String what) {
    return source.allocate(dtype, elements).touch(what);
  }

  @Override
  public String toString() {
    return "Allocator(" + device + ")";
  }
}
