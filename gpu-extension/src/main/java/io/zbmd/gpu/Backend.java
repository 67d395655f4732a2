package io.zbmd.gpu;

import java.util.List;

/**
 * One loaded backend: its devices, an allocator and a work stream per device. Created by a {@link
 * BackendProvider}; {@code GpuExtension} owns it and closes it at shutdown. Most users go through
 * {@code GpuExtension}, which adds memory accounting, limits and health on top.
 */
public interface Backend extends AutoCloseable {
  /** The provider's name, e.g. {@code cpu}. */
  String name();

  /** The devices this backend drives, in its preferred order. */
  List<Device> devices();

  /**
   * Allocates storage for {@code elements} values on {@code device}, owned by {@code owner}, with
   * one reference.
   *
   * @throws DeviceOutOfMemoryException if the device cannot hold it
   * @throws DeviceLostException if the device is gone
   */
  DeviceBuffer allocate(DeviceId device, DType dtype, long elements, String owner);

  /** The work stream of {@code device}. */
  DeviceStream stream(DeviceId device);

  /**
   * Called once on a device's pinned dispatcher thread before any actor runs there: binds what the
   * backend keeps per thread (a CUDA context). Default: nothing.
   */
  default void bindThread(DeviceId device) {}

  /** Memory the device reports free right now, or -1 if the backend cannot tell. */
  default long freeMemory(DeviceId device) {
    return -1;
  }

  /** Releases the backend's native resources. Buffers still live are freed with it. */
  @Override
  void close();
}
