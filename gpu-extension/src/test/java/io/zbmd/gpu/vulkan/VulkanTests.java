package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * What the Vulkan tests share: their backend config (lavapipe allowed, validation when installed,
 * shaders cached under {@code target/} so that only the first run of a build compiles them), and
 * the requirement check: without Vulkan the tests skip, saying why, unless {@code -Dzbmd.require}
 * names {@code vulkan} (as CI does), when they fail. gpu-extension cannot use testkit's {@code
 * Requirements} (testkit depends on it), so this is its small twin.
 */
final class VulkanTests {
  /** Shared by the test classes of one build: compiled shaders survive from class to class. */
  static final String SHADER_CACHE_DIR = "target/vulkan-shader-cache";

  private VulkanTests() {}

  /** The backend block the tests use, with {@code extra} HOCON on top. */
  static Config config(String extra) {
    return ConfigFactory.parseString(extra)
        .withFallback(
            ConfigFactory.parseString(
                "allow-cpu-devices = on\n"
                    + "validation = auto\n"
                    + "shader-cache-dir = \""
                    + SHADER_CACHE_DIR
                    + "\"\n"));
  }

  /** Skips the calling test (class) when Vulkan cannot run here, or fails when it is required. */
  static void assumeVulkan() {
    Optional<Throwable> why = new VulkanBackendProvider().unavailabilityCause(config(""));
    if (why.isEmpty()) {
      return;
    }
    String reason = "Vulkan is unavailable here: " + why.get().getMessage();
    if (required()) {
      fail(
          reason + " (and -Dzbmd.require names vulkan, so this fails instead of skipping)",
          why.get());
    }
    System.out.println("skipping Vulkan tests: " + reason);
    Assumptions.abort(reason);
  }

  static boolean required() {
    return Arrays.stream(System.getProperty("zbmd.require", "").split(","))
        .map(String::trim)
        .anyMatch("vulkan"::equals);
  }

  /**
   * Closes {@code b} and checks that it left no Vulkan object alive and that the validation layer
   * (where installed) reported no error.
   */
  static void close(VulkanBackend b) {
    b.close();
    assertEquals(Map.of(), b.liveObjects(), "Vulkan objects alive after close");
    assertEquals(0, b.validationErrors(), "errors from the validation layer: see the log");
  }

  /** A backend for tests, after {@link #assumeVulkan}. */
  static VulkanBackend backend(String extra) {
    assumeVulkan();
    return (VulkanBackend) new VulkanBackendProvider().create(config(extra));
  }
}
