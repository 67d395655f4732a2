package io.zbmd.gpu;

import java.util.List;
import java.util.Optional;

/**
 * What discovery found for one backend name: whether {@link GpuExtension} loaded it and, if not,
 * why. {@code available} is true only for a backend that is named in {@code zbmd.gpu.backends},
 * whose provider is on the class path, says it can load, and whose {@code create} succeeded; its
 * devices are then part of {@link GpuExtension#devices()}.
 *
 * <pre>{@code
 * for (BackendStatus b : gpu.backends()) {
 *   System.out.println(b.name() + ": " + (b.available() ? b.devices() : b.reason().orElse("")));
 * }
 * }</pre>
 *
 * @param name the backend name ({@code cuda}, {@code vulkan}, {@code cpu}...)
 * @param rank the provider's rank, or 0 when no provider was found
 * @param available true when the backend is loaded and its devices are in use
 * @param reason why it is not available (empty when it is)
 * @param devices its devices (empty when it is not available)
 */
public record BackendStatus(
    String name, int rank, boolean available, Optional<String> reason, List<Device> devices) {
  public BackendStatus {
    devices = List.copyOf(devices);
    if (available == reason.isPresent()) {
      throw new IllegalArgumentException(
          "a backend has a reason exactly when it is unavailable: "
              + name
              + ", available="
              + available
              + ", reason="
              + reason);
    }
  }

  @Override
  public String toString() {
    return name + (available ? " " + devices : " unavailable: " + reason.orElse("?"));
  }
}
