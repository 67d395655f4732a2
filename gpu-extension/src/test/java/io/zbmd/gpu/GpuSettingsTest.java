package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@code zbmd.gpu} is read once into {@link GpuSettings}; a wrong value names its key. */
class GpuSettingsTest {
  private static GpuSettings settings(String hocon) {
    return GpuSettings.fromConfig(TestSystems.config(hocon));
  }

  private static void assertRejected(String hocon, String... mentions) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> settings(hocon));
    for (String m : mentions) {
      assertTrue(e.getMessage().contains(m), () -> "'" + e.getMessage() + "' should mention " + m);
    }
  }

  @Test
  void defaultsComeFromReferenceConf() {
    GpuSettings s = settings("");
    assertEquals(List.of("cuda", "rocm", "vulkan", "cpu"), s.backends());
    assertEquals(LeakDetector.Level.SIMPLE, s.leakDetection());
    assertEquals(Duration.ofSeconds(1), s.leakCheckInterval());
    assertEquals(Map.of(), s.memoryLimits());
    assertEquals(5, s.dispatcherThroughput());
    assertEquals(
        "io.zbmd.gpu.internal.DeviceThreadExecutorConfigurator",
        s.deviceDispatcher().getString("executor"));
  }

  @Test
  void memoryLimitsAreKeyedByDeviceKeyOrQuotedId() {
    GpuSettings s =
        settings(
            """
            zbmd.gpu.devices {
              cpu-0 { memory-limit = 512 MiB }
              "cuda:1" { memory-limit = 2 GiB }
              vulkan-0 { memory-limit = off }
            }
            zbmd.gpu.leak-detection = PARANOID
            """);
    assertEquals(OptionalLong.of(512L << 20), s.memoryLimit(DeviceId.parse("cpu:0")));
    assertEquals(OptionalLong.of(2L << 30), s.memoryLimit(DeviceId.parse("cuda:1")));
    assertEquals(OptionalLong.empty(), s.memoryLimit(DeviceId.parse("vulkan:0")));
    assertEquals(LeakDetector.Level.PARANOID, s.leakDetection());
  }

  @Test
  void wrongValuesNameTheirKey() {
    assertRejected(
        "zbmd.gpu.devices.cpu-0.memory-limit = -1", "zbmd.gpu.devices", "cpu-0", "memory-limit");
    assertRejected("zbmd.gpu.devices.cpu-0.memory-limit = lots", "cpu-0", "memory-limit");
    assertRejected("zbmd.gpu.devices.cpu-0.memory-limt = 1 MiB", "memory-limt", "memory-limit");
    assertRejected(
        "zbmd.gpu.devices.gpu { memory-limit = 1 MiB }", "zbmd.gpu.devices", "gpu", "cpu-0");
    assertRejected("zbmd.gpu.devices { cpu-0 {}, \"cpu:0\" {} }", "cpu:0", "twice");
    assertRejected("zbmd.gpu.leak-detection = sometimes", "zbmd.gpu.leak-detection", "paranoid");
    assertRejected("zbmd.gpu.leak-check-interval = 0s", "zbmd.gpu.leak-check-interval");
    assertRejected("zbmd.gpu.backends = [cpu, cpu]", "zbmd.gpu.backends", "twice");
    assertRejected("zbmd.gpu.backends = cpu", "zbmd.gpu.backends");
    assertRejected(
        "zbmd.gpu.device-dispatcher.throughput = 0", "zbmd.gpu.device-dispatcher.throughput");
  }
}
