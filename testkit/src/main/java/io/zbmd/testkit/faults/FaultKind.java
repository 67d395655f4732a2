package io.zbmd.testkit.faults;

/** What a {@link FaultInjectingBackend} injected; each kind maps to one typed device failure. */
public enum FaultKind {
  /** An op failed before it ran: {@link io.zbmd.gpu.KernelException}. */
  KERNEL_FAILURE,
  /**
   * An allocation went over {@code oom-after-bytes}: {@link
   * io.zbmd.gpu.DeviceOutOfMemoryException}.
   */
  OUT_OF_MEMORY,
  /** The device was lost at {@code lost-at-op}: {@link io.zbmd.gpu.DeviceLostException}. */
  DEVICE_LOST
}
