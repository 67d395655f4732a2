package io.zbmd.gpu;

/** A failure of work on a device; the subclasses say what a supervisor should do about it. */
public abstract class DeviceException extends RuntimeException {
  private final DeviceId device;

  protected DeviceException(DeviceId device, String message, Throwable cause) {
    super(device + ": " + message, cause);
    this.device = device;
  }

  /** The device the failure happened on. */
  public DeviceId device() {
    return device;
  }
}
