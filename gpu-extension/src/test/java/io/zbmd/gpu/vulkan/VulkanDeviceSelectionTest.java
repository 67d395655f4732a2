package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.BackendStatus;
import io.zbmd.gpu.DeviceKind;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.runtime.Zbmd;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/**
 * Which Vulkan devices the backend uses: discrete GPUs first, then integrated, virtual, other, and
 * CPU-type devices (lavapipe) only when {@code zbmd.gpu.vulkan.allow-cpu-devices = on}; and the
 * reason given when none is usable, through the provider and through {@code GpuExtension}.
 */
class VulkanDeviceSelectionTest {
  private static PhysicalDeviceInfo device(int index, DeviceKind kind, boolean computes) {
    return new PhysicalDeviceInfo(index, "dev" + index, kind, "1.3.0", computes ? 0 : -1, 1L << 30);
  }

  @Test
  void discreteThenIntegratedThenVirtualThenCpu() {
    List<PhysicalDeviceInfo> all =
        List.of(
            device(0, DeviceKind.CPU, true),
            device(1, DeviceKind.INTEGRATED_GPU, true),
            device(2, DeviceKind.VIRTUAL_GPU, true),
            device(3, DeviceKind.DISCRETE_GPU, true),
            device(4, DeviceKind.DISCRETE_GPU, true));
    assertEquals(
        List.of(3, 4, 1, 2, 0),
        VulkanProbe.usable(all, true).stream().map(PhysicalDeviceInfo::index).toList());
    assertEquals(
        List.of(3, 4, 1, 2),
        VulkanProbe.usable(all, false).stream().map(PhysicalDeviceInfo::index).toList());
  }

  @Test
  void devicesWithoutAComputeQueueAreSkipped() {
    List<PhysicalDeviceInfo> all =
        List.of(device(0, DeviceKind.DISCRETE_GPU, false), device(1, DeviceKind.CPU, true));
    assertEquals(
        List.of(1), VulkanProbe.usable(all, true).stream().map(PhysicalDeviceInfo::index).toList());
    assertTrue(
        VulkanProbe.whyNone(List.of(device(0, DeviceKind.DISCRETE_GPU, false)), true)
            .orElseThrow()
            .contains("no Vulkan device has a compute queue"));
  }

  @Test
  void reasonsNameWhatIsMissing() {
    assertTrue(VulkanProbe.whyNone(List.of(), true).orElseThrow().contains("no device"));
    String cpuOnly =
        VulkanProbe.whyNone(List.of(device(0, DeviceKind.CPU, true)), false).orElseThrow();
    assertTrue(cpuOnly.contains("zbmd.gpu.vulkan.allow-cpu-devices"), cpuOnly);
    assertTrue(cpuOnly.contains("dev0"), cpuOnly);
    assertEquals(
        Optional.empty(), VulkanProbe.whyNone(List.of(device(0, DeviceKind.CPU, true)), true));
  }

  /** On this machine: lavapipe is refused while CPU devices are not allowed, with the key named. */
  @Test
  void cpuDevicesAreRefusedUnlessAllowed() {
    VulkanTests.assumeVulkan();
    List<PhysicalDeviceInfo> here = VulkanProbe.usable(VulkanProbe.probe(), true);
    boolean onlyCpu = here.stream().allMatch(d -> d.kind() == DeviceKind.CPU);
    VulkanBackendProvider provider = new VulkanBackendProvider();
    Optional<Throwable> refused =
        provider.unavailabilityCause(ConfigFactory.parseString("allow-cpu-devices = off"));
    if (onlyCpu) {
      assertTrue(refused.isPresent(), "only CPU devices here, and they are not allowed");
      assertTrue(
          refused.get().getMessage().contains("zbmd.gpu.vulkan.allow-cpu-devices"),
          refused.get().getMessage());
      assertEquals(
          refused.map(Throwable::getMessage),
          provider.unavailabilityCause().map(Throwable::getMessage),
          "the defaults do not allow CPU devices");
    } else {
      assertEquals(Optional.empty(), refused, "a GPU is usable without CPU devices");
    }
    assertEquals(
        Optional.empty(),
        provider.unavailabilityCause(ConfigFactory.parseString("allow-cpu-devices = on")));
  }

  /**
   * What {@code zbmd devices} prints comes from here: the reason when refused, the device when
   * allowed.
   */
  @Test
  void gpuExtensionReportsTheReasonOrTheDevice() {
    VulkanTests.assumeVulkan();
    boolean onlyCpu =
        VulkanProbe.usable(VulkanProbe.probe(), true).stream()
            .allMatch(d -> d.kind() == DeviceKind.CPU);
    String base =
        "zbmd.gpu.backends = [vulkan, cpu]\n"
            + "zbmd.gpu.vulkan.shader-cache-dir = \""
            + VulkanTests.SHADER_CACHE_DIR
            + "\"\n";
    if (onlyCpu) {
      ActorTestKit off =
          ActorTestKit.create("vulkan-refused", Zbmd.config(ConfigFactory.parseString(base)));
      try {
        BackendStatus vulkan = GpuExtension.get(off.system()).backends().get(0);
        assertEquals("vulkan", vulkan.name());
        assertFalse(vulkan.available());
        assertTrue(
            vulkan.reason().orElseThrow().contains("zbmd.gpu.vulkan.allow-cpu-devices"),
            vulkan.toString());
        assertEquals("cpu:0", GpuExtension.get(off.system()).defaultDevice().id().toString());
      } finally {
        off.shutdownTestKit();
      }
    }
    ActorTestKit on =
        ActorTestKit.create(
            "vulkan-allowed",
            Zbmd.config(
                ConfigFactory.parseString(base + "zbmd.gpu.vulkan.allow-cpu-devices = on")));
    try {
      GpuExtension gpu = GpuExtension.get(on.system());
      BackendStatus vulkan = gpu.backends().get(0);
      assertTrue(vulkan.available(), vulkan.toString());
      assertEquals("vulkan:0", gpu.defaultDevice().id().toString());
    } finally {
      on.shutdownTestKit();
    }
  }
}
