package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendArgumentChecksTest;
import org.junit.jupiter.api.AfterAll;

/** The shared bad-input checks on the Vulkan backend: nothing reaches a command buffer. */
class VulkanBackendArgumentChecksTest extends BackendArgumentChecksTest {
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
