package io.zbmd.gpu;

/**
 * The device is gone (driver reset, hardware fault, fault injection). Every later operation on it
 * fails fast with this exception; move the work to another device.
 */
public class DeviceLostException extends DeviceException {
  public DeviceLostException(DeviceId device, String message, Throwable cause) {
    super(device, "device lost: " + message, cause);
  }
}
