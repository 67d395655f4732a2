package io.zbmd.gpu;

/**
 * A device a backend found: its id, what it is, its name as the driver reports it and its total
 * memory in bytes.
 */
public record Device(DeviceId id, DeviceKind kind, String name, long totalMemory) {
  @Override
  public String toString() {
    return id + " (" + name + ", " + kind + ", " + Bytes.format(totalMemory) + ")";
  }
}
