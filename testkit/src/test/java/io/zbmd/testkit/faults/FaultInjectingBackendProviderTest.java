package io.zbmd.testkit.faults;

import static io.zbmd.testkit.faults.FaultTesting.FAULTY0;
import static io.zbmd.testkit.faults.FaultTesting.await;
import static io.zbmd.testkit.faults.FaultTesting.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendProvider;
import io.zbmd.gpu.BackendStatus;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.KernelException;
import io.zbmd.gpu.internal.BackendDiscovery;
import io.zbmd.runtime.Zbmd;
import io.zbmd.testkit.Requirements;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The {@code faulty} backend loads by name through ServiceLoader and reads zbmd.gpu.faulty. */
class FaultInjectingBackendProviderTest {
  private static BackendProvider faultyProvider() {
    return ServiceLoader.load(BackendProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p.name().equals("faulty"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no BackendProvider named faulty"));
  }

  @Test
  void serviceLoaderFindsItAndItIsAvailableWhereTheCpuBackendIs() {
    BackendProvider p = faultyProvider();
    assertInstanceOf(FaultInjectingBackendProvider.class, p);
    assertTrue(p.isAvailable(), () -> "unavailable: " + p.unavailabilityCause());
    assertTrue(p.rank() < 0, "never preferred by rank");
  }

  @Test
  void itIsListedOnlyWhereConfigNamesIt() {
    assertTrue(faultyProvider().testOnly());
    List<String> unnamed = discovered(List.of("cpu", "rocm"));
    assertEquals(List.of("cpu", "rocm"), unnamed.subList(0, 2));
    // The real providers not named (cuda, vulkan) are still listed as "not listed".
    assertTrue(unnamed.contains("vulkan") && !unnamed.contains("faulty"), unnamed::toString);
    assertEquals(List.of("faulty"), discovered(List.of("faulty")).subList(0, 1));
  }

  /** The names GpuExtension.backends() would list with zbmd.gpu.backends = order. */
  private static List<String> discovered(List<String> order) {
    BackendDiscovery.Result r =
        BackendDiscovery.discover(
            order, ConfigFactory.load(), FaultInjectingBackendProviderTest.class.getClassLoader());
    r.loaded().values().forEach(BackendDiscovery::closeQuietly);
    return r.statuses().stream().map(BackendStatus::name).toList();
  }

  @Test
  void createReadsItsBlockAndWrapsTheNamedDelegate() throws Exception {
    Config block =
        ConfigFactory.parseString(
            """
            delegate = cpu
            delegate-config { threads = 1 }
            seed = 7
            failure-probability = 1.0
            ops = [gemm]
            oom-after-bytes = 1k
            lost-at-op = 100
            """);
    try (Backend backend = faultyProvider().create(block)) {
      assertEquals("faulty", backend.name());
      assertEquals(List.of(FAULTY0), backend.devices().stream().map(d -> d.id()).toList());
      FaultInjectingBackend faulty = assertInstanceOf(FaultInjectingBackend.class, backend);
      assertEquals("cpu", faulty.delegate().name());
      assertEquals(
          FaultPlan.builder()
              .seed(7)
              .failureProbability(1)
              .ops("gemm")
              .oomAfterBytes(1024)
              .lostAtOp(100)
              .build(),
          faulty.plan());

      DeviceBuffer a = backend.allocate(FAULTY0, DType.FLOAT32, 4, "test");
      assertEquals(FAULTY0, a.device());
      await(
          backend.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.fill(a, 0, 4, 1f);
                    return null;
                  }));
      failure(
          backend.stream(FAULTY0)
              .submit(
                  ops -> {
                    ops.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, a, 0, 2, 0f, a, 0, 2);
                    return null;
                  }),
          KernelException.class);
      assertThrows(
          DeviceOutOfMemoryException.class,
          () -> backend.allocate(FAULTY0, DType.FLOAT32, 1024, "test"));
      a.release();
    }
  }

  @Test
  void referenceConfDocumentsTheDefaultsAndTheyInjectNothing() {
    Config block = Zbmd.config(ConfigFactory.empty()).getConfig("zbmd.gpu.faulty");
    assertEquals(FaultInjectingBackendProvider.DEFAULT_DELEGATE, block.getString("delegate"));
    assertTrue(block.getConfig("delegate-config").isEmpty());
    assertEquals(FaultPlan.none(), FaultPlan.fromConfig(block));
    assertEquals(FaultPlan.none(), FaultPlan.fromConfig(ConfigFactory.empty()));
  }

  @Test
  void anEmptyBlockWrapsTheCpuBackend() {
    try (Backend backend = faultyProvider().create(ConfigFactory.empty())) {
      assertEquals("cpu", ((FaultInjectingBackend) backend).delegate().name());
    }
  }

  @Test
  void anUnknownDelegateIsNamedWithTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> faultyProvider().create(ConfigFactory.parseString("delegate = cdua")));
    assertTrue(e.getMessage().contains("cdua") && e.getMessage().contains("[cpu"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> faultyProvider().create(ConfigFactory.parseString("delegate = faulty")));
  }

  @Test
  void badValuesAreRejectedNamingTheKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> faultyProvider().create(ConfigFactory.parseString("failure-probability = 1.5")));
    assertTrue(e.getMessage().contains("failure-probability"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> faultyProvider().create(ConfigFactory.parseString("ops = [gemmm]")));
    assertTrue(e.getMessage().contains("gemmm"), e.getMessage());
  }

  /** The delegate is judged with delegate-config: there lavapipe is allowed to the vulkan backend. */
  @Test
  void vulkanOnLavapipeIsAvailableWhenTheDelegateConfigAllowsCpuDevices() {
    Requirements.vulkan().check();
    Config block =
        ConfigFactory.parseString(
            """
            delegate = vulkan
            delegate-config { allow-cpu-devices = on, shader-cache = off }
            """);
    try (Backend backend = faultyProvider().create(block)) {
      FaultInjectingBackend faulty = assertInstanceOf(FaultInjectingBackend.class, backend);
      assertEquals("vulkan", faulty.delegate().name());
    }
  }
}
