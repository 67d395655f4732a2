package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendConformanceTest;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance suite on Vulkan: Mesa lavapipe in CI and on machines without a GPU (allowed by
 * the test config), a real GPU where there is one. One backend for the whole class, so pipelines
 * are built once; the shaders come from the build's disk cache after the first test class.
 */
class VulkanBackendConformanceTest extends BackendConformanceTest {
  @Override
  protected Backend createBackend() {
    return VulkanTests.backend("");
  }

  @AfterAll
  void theValidationLayerReportedNothing() {
    if (backend != null) {
      assertEquals(
          0, ((VulkanBackend) backend).validationErrors(), "validation errors, see the log");
    }
  }
}
