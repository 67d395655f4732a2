package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backends are found with ServiceLoader and loaded in the order {@code zbmd.gpu.backends} gives;
 * anything that cannot load is reported with its reason and never stops the system.
 */
class DiscoveryTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static ActorTestKit kit;
  private static GpuExtension gpu;

  @BeforeAll
  static void start() {
    kit = TestSystems.kit("discovery", "zbmd.gpu.backends = [cpu, nosuch, broken, absent]");
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static BackendStatus status(String name) {
    return gpu.backends().stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
  }

  private static void assertReason(String backend, String mentions) {
    BackendStatus s = status(backend);
    assertFalse(s.available(), s::toString);
    assertTrue(
        s.reason().orElseThrow().contains(mentions), () -> s + " should mention " + mentions);
    assertEquals(List.of(), s.devices());
  }

  @Test
  void listsConfiguredBackendsInOrderThenUnlistedProviders() {
    List<String> names = gpu.backends().stream().map(BackendStatus::name).toList();
    assertEquals(List.of("cpu", "nosuch", "broken", "absent"), names.subList(0, 4));
    // Providers on the class path but not configured come last and are not loaded.
    assertTrue(names.containsAll(List.of("recording", "fake")), names::toString);
    assertReason("recording", "not listed in zbmd.gpu.backends");
  }

  @Test
  void theCpuBackendIsAvailableWithItsDevice() {
    BackendStatus cpu = status("cpu");
    assertTrue(cpu.available());
    assertEquals(List.of(CPU0), cpu.devices().stream().map(Device::id).toList());
    assertEquals(List.of(CPU0), gpu.devices().stream().map(Device::id).toList());
    assertEquals(CPU0, gpu.defaultDevice().id());
    assertEquals(DeviceKind.CPU, gpu.device(CPU0).kind());
  }

  @Test
  void backendsThatCannotLoadAreReportedWithTheirReason() {
    assertReason("nosuch", "no provider on the class path");
    assertReason("broken", "driver exploded during init"); // create() threw
    assertReason("absent", "libabsent.so"); // unavailabilityCause()
    assertEquals(7, status("absent").rank());
  }

  @Test
  void anUnknownDeviceIsRefusedListingTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> gpu.device(DeviceId.parse("nosuch:0")));
    assertTrue(
        e.getMessage().contains("nosuch:0") && e.getMessage().contains("[cpu:0]"), e.getMessage());
    assertTrue(e.getMessage().contains("backend nosuch is unavailable"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> gpu.allocate(DeviceId.parse("cpu:1"), DType.FLOAT32, 4, "test"));
  }
}
