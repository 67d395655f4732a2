package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceKind;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code zbmd.gpu.vulkan}: the defaults of reference.conf, and each key's checks. */
class VulkanSettingsTest {
  private static VulkanSettings parse(String hocon) {
    return VulkanSettings.fromConfig(ConfigFactory.parseString(hocon));
  }

  /**
   * The shader cache lives under {@code zbmd.data-dir}: reference.conf says {@code
   * ${zbmd.data-dir}"/shader-cache"}, resolved, as Typesafe Config's {@code load} does, together
   * with the application's settings.
   */
  @Test
  void referenceConfDefaults() {
    VulkanSettings s =
        VulkanSettings.fromConfig(
            ConfigFactory.parseString("zbmd.data-dir = /tmp/zbmd-test-data")
                .withFallback(ConfigFactory.defaultReferenceUnresolved())
                .resolve()
                .getConfig(VulkanSettings.PATH));
    assertFalse(s.allowCpuDevices());
    assertEquals(VulkanSettings.Validation.OFF, s.validation());
    assertTrue(s.shaderCache());
    assertEquals(
        Path.of("/tmp/zbmd-test-data/shader-cache"), s.shaderCacheDir(), "under zbmd.data-dir");
    assertEquals(256, s.blockSize());
    assertEquals(0, s.gemmWorkgroup(), "auto");
    assertEquals(8, s.gemmWorkgroupFor(DeviceKind.CPU));
    assertEquals(16, s.gemmWorkgroupFor(DeviceKind.DISCRETE_GPU));
    assertEquals(64L << 20, s.memoryBlockSize());
    assertEquals(0, s.memoryBudget());
    assertEquals(
        s,
        VulkanSettings.fromConfig(
            ConfigFactory.parseString("shader-cache-dir = \"/tmp/zbmd-test-data/shader-cache\"")),
        "an empty block means the same");
  }

  @Test
  void validationTakesOffAutoOn() {
    assertEquals(VulkanSettings.Validation.OFF, parse("validation = off").validation());
    assertEquals(VulkanSettings.Validation.ON, parse("validation = on").validation());
    assertEquals(VulkanSettings.Validation.AUTO, parse("validation = auto").validation());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parse("validation = sometimes"));
    assertTrue(e.getMessage().contains("zbmd.gpu.vulkan.validation"), e.getMessage());
  }

  @Test
  void gemmWorkgroupIsAutoOr8Or16() {
    assertEquals(16, parse("gemm-workgroup = 16").gemmWorkgroupFor(DeviceKind.CPU));
    assertEquals(8, parse("gemm-workgroup = 8").gemmWorkgroupFor(DeviceKind.DISCRETE_GPU));
    assertEquals(0, parse("gemm-workgroup = auto").gemmWorkgroup());
  }

  @Test
  void memoryBudgetIsOffOrASize() {
    assertEquals(0, parse("memory-budget = off").memoryBudget());
    assertEquals(8L << 20, parse("memory-budget = 8 MiB").memoryBudget());
    assertThrows(IllegalArgumentException.class, () -> parse("memory-budget = on"));
  }

  @Test
  void wrongValuesNameTheirKey() {
    for (String bad :
        new String[] {
          "block-size = 100",
          "gemm-workgroup = 32",
          "block-size = 2048",
          "memory-block-size = 1000",
          "allow-cpu-devices = maybe"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> parse(bad), bad);
      assertTrue(
          e.getMessage().contains("zbmd.gpu.vulkan." + bad.substring(0, bad.indexOf(' '))),
          e.getMessage());
    }
  }
}
