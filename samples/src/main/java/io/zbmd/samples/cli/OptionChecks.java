package io.zbmd.samples.cli;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks of single options, shared by the commands' own checks ({@link TrainOptionsCheck},
 * {@link EvalOptionsCheck}). Each throws an {@link OptionException} naming the option.
 */
final class OptionChecks {
  private OptionChecks() {}

  static void atLeast(String option, long value, long min) {
    if (value < min) {
      throw new OptionException(option + " must be at least " + min + ", got " + value);
    }
  }

  static void positive(String option, Double value) {
    if (value != null && !(value > 0 && Double.isFinite(value))) {
      throw new OptionException(option + " must be a positive number, got " + value);
    }
  }

  static void oneOf(String option, String value, String... allowed) {
    if (!List.of(allowed).contains(value)) {
      throw new OptionException(
          option + ": unknown value '" + value + "' (one of: " + String.join(", ", allowed) + ")");
    }
  }

  static void directory(String option, Path dir) {
    if (dir != null && !Files.isDirectory(dir)) {
      throw new OptionException(
          option + " " + dir + ": " + (Files.exists(dir) ? "not a directory" : "no such directory"));
    }
  }

  static void readableFile(String option, Path file) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new OptionException(
          option + " " + file + ": "
              + (Files.exists(file) ? "not a readable file" : "no such file"));
    }
  }

  /**
   * A {@code --backend} names a backend of {@code zbmd.gpu.backends} (as the application's config
   * sets it), alone or with a device index: {@code cpu}, {@code cpu:0}.
   */
  static DeviceId device(String option, String text) {
    DeviceId id;
    try {
      id = DeviceId.parse(text.contains(":") ? text : text + ":0");
    } catch (IllegalArgumentException e) {
      throw new OptionException(option + ": " + e.getMessage(), e);
    }
    List<String> known = ConfigFactory.load().getStringList("zbmd.gpu.backends");
    if (!known.contains(id.backend())) {
      throw new OptionException(
          option + ": unknown backend '" + id.backend() + "' (zbmd.gpu.backends: "
              + String.join(", ", known) + ")");
    }
    if (id.index() < 0) {
      throw new OptionException(option + ": device index must be >= 0, got " + text);
    }
    return id;
  }
}
