package io.zbmd.gpu;

/**
 * Whether a device can take work. A device starts {@link #HEALTHY}; it becomes {@link #LOST} when
 * {@link GpuExtension#markLost} is called or when a {@link DeviceLostException} comes out of its
 * allocator or its stream, and stays lost for the life of the actor system: allocations and
 * submissions on it then fail fast, and {@link GpuExtension#defaultDevice()} skips it.
 *
 * <pre>{@code
 * if (gpu.health(device) == DeviceHealth.LOST) {
 *   device = gpu.defaultDevice(); // the next healthy one
 * }
 * }</pre>
 */
public enum DeviceHealth {
  /** The device takes allocations and work. */
  HEALTHY,
  /** The device is gone; everything on it fails with {@link DeviceLostException}. */
  LOST
}
