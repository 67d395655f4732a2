package io.zbmd.gpu;

import java.util.Objects;

/**
 * Names a device as {@code backend:index}, e.g. {@code cpu:0}, {@code cuda:1}, {@code vulkan:0}:
 * the form config keys and the CLI use.
 */
public record DeviceId(String backend, int index) {
  public DeviceId {
    Objects.requireNonNull(backend, "backend");
    if (backend.isBlank() || !backend.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException("backend name must be lower-case [a-z0-9-]+: '" + backend + "'");
    }
    if (index < 0) {
      throw new IllegalArgumentException("device index must be >= 0: " + index);
    }
  }

  /** Parses {@code backend:index} (a bare backend name means index 0). */
  public static DeviceId parse(String text) {
    Objects.requireNonNull(text, "device id");
    int colon = text.indexOf(':');
    if (colon < 0) {
      return new DeviceId(text.trim(), 0);
    }
    try {
      return new DeviceId(text.substring(0, colon).trim(), Integer.parseInt(text.substring(colon + 1).trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("device id must look like 'cuda:0', got '" + text + "'", e);
    }
  }

  /** {@code cpu-0}: a form usable as a config key or actor-name part. */
  public String key() {
    return backend + "-" + index;
  }

  @Override
  public String toString() {
    return backend + ":" + index;
  }
}
