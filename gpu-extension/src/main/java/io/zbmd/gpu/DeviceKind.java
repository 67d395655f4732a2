package io.zbmd.gpu;

/** What kind of processor a {@link Device} is; selection prefers discrete GPUs. */
public enum DeviceKind {
  DISCRETE_GPU,
  INTEGRATED_GPU,
  VIRTUAL_GPU,
  /** A CPU, including software GPU drivers that run on the CPU (Mesa lavapipe). */
  CPU,
  OTHER
}
