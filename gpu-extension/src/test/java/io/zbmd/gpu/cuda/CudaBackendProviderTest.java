package io.zbmd.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.BackendStatus;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.runtime.Zbmd;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere: the provider is found by name, never throws while deciding whether it can
 * load, and on a machine without a driver says exactly why, while the extension carries on with
 * the other backends.
 */
class CudaBackendProviderTest {
  @Test
  void itIsRegisteredAndDecidesAvailabilityWithoutThrowing() {
    CudaBackendProvider provider = new CudaBackendProvider();
    assertEquals("cuda", provider.name());
    assertEquals(provider.isAvailable(), provider.unavailabilityCause().isEmpty());
    provider.unavailabilityCause().ifPresent(cause -> {
      String m = cause.getMessage();
      assertTrue(m.contains("libcuda.so.1") || m.contains("cuInit") || m.contains("no CUDA device")
          || m.contains("JCuda"), m);
      System.out.println("[info] cuda unavailable here: " + m);
    });
  }

  @Test
  void withoutADriverTheExtensionReportsTheReasonAndUsesTheCpu() {
    CudaBackendProvider provider = new CudaBackendProvider();
    if (provider.isAvailable()) {
      return; // a GPU machine: CudaBackendConformanceTest covers it
    }
    assertThrows(IllegalStateException.class,
        () -> provider.create(ConfigFactory.empty()));
    ActorTestKit kit = ActorTestKit.create("cuda-absent",
        Zbmd.config(ConfigFactory.parseString("zbmd.gpu.backends = [cuda, cpu]")));
    try {
      GpuExtension gpu = GpuExtension.get(kit.system());
      BackendStatus cuda = gpu.backends().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
      assertFalse(cuda.available());
      assertTrue(cuda.reason().orElseThrow().contains("libcuda.so.1")
          || cuda.reason().orElseThrow().contains("cuInit"), cuda.toString());
      assertEquals("cpu", gpu.defaultDevice().id().backend());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
