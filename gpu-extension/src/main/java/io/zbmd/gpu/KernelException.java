package io.zbmd.gpu;

/** A kernel failed to compile, launch or run, for a reason other than memory or device loss. */
public class KernelException extends DeviceException {
  public KernelException(DeviceId device, String message, Throwable cause) {
    super(device, message, cause);
  }
}
