package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendConformanceTest;
import io.zbmd.gpu.DeviceId;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance suite again with the gemm workgroup GPUs get (16 x 16 invocations of 4 x 4
 * values), which lavapipe would not pick by itself ({@code gemm-workgroup = auto} gives CPU devices
 * 8 x 8 of 8 x 8): so that CI, which has no GPU, tests the gemm variant GPUs run.
 */
class VulkanGpuGemmShapeConformanceTest extends BackendConformanceTest {
  @Override
  protected Backend createBackend() {
    VulkanBackend b = VulkanTests.backend("gemm-workgroup = 16");
    assertEquals(16, b.device(new DeviceId("vulkan", 0)).pipelines().gemmWorkgroup());
    return b;
  }

  @AfterAll
  void theValidationLayerReportedNothing() {
    if (backend != null) {
      assertEquals(
          0, ((VulkanBackend) backend).validationErrors(), "validation errors, see the log");
    }
  }
}
