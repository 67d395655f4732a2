package io.zbmd.gpu;

/**
 * An allocation did not fit in the device's memory or its configured limit. Recoverable: free
 * something or ask for less (the training supervisor halves the batch).
 */
public class DeviceOutOfMemoryException extends DeviceException {
  private final long requested;
  private final long free;

  public DeviceOutOfMemoryException(DeviceId device, long requested, long free, String detail) {
    super(device, "out of memory: asked for " + Bytes.format(requested) + " (" + requested
        + " bytes), " + Bytes.format(free) + " free" + (detail == null ? "" : "; " + detail), null);
    this.requested = requested;
    this.free = free;
  }

  /** Bytes the failed allocation asked for. */
  public long requested() {
    return requested;
  }

  /** Bytes that were free when it failed. */
  public long free() {
    return free;
  }
}
