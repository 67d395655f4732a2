package io.zbmd.gpu.internal;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceHealth;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the extension keeps about one device: the backend that drives it, its memory
 * accounting, its health, its guarded stream and its pinned dispatcher's id.
 */
public final class DeviceEntry {
  private static final Logger log = LoggerFactory.getLogger(DeviceEntry.class);

  private final Device device;
  private final Backend backend;
  private final DeviceMemory memory;
  private final String dispatcherId;
  private final AtomicReference<Throwable> lostCause = new AtomicReference<>();
  private final GuardedStream stream;

  public DeviceEntry(Device device, Backend backend, long limit, String dispatcherId) {
    this.device = device;
    this.backend = backend;
    this.memory = new DeviceMemory(device.id(), device.totalMemory(), limit);
    this.dispatcherId = dispatcherId;
    this.stream = new GuardedStream(this);
  }

  public Device device() {
    return device;
  }

  public DeviceId id() {
    return device.id();
  }

  public Backend backend() {
    return backend;
  }

  public DeviceMemory memory() {
    return memory;
  }

  public String dispatcherId() {
    return dispatcherId;
  }

  public GuardedStream stream() {
    return stream;
  }

  public DeviceHealth health() {
    return lostCause.get() == null ? DeviceHealth.HEALTHY : DeviceHealth.LOST;
  }

  /** Marks the device lost; the first call logs and wins, later ones change nothing. */
  public void markLost(Throwable cause) {
    Throwable c = cause != null ? cause : new IllegalStateException("marked lost without a cause");
    if (lostCause.compareAndSet(null, c)) {
      log.error(
          "device {} ({}) marked LOST: allocations and work on it now fail fast with "
              + "DeviceLostException",
          device.id(),
          device.name(),
          c);
    } else {
      log.debug("device {} already lost; ignoring a further cause", device.id(), c);
    }
  }

  /** Throws {@link DeviceLostException} if the device is lost. */
  public void checkHealthy(String what) {
    DeviceLostException e = lostException(what);
    if (e != null) {
      throw e;
    }
  }

  /** The exception to fail {@code what} with, or null while healthy. */
  DeviceLostException lostException(String what) {
    Throwable cause = lostCause.get();
    if (cause == null) {
      return null;
    }
    return new DeviceLostException(
        device.id(), what + " refused: the device was marked lost (" + cause + ")", cause);
  }

  /** True if {@code t}, or what it wraps, is a {@link DeviceLostException}. */
  static boolean isDeviceLost(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DeviceLostException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}
