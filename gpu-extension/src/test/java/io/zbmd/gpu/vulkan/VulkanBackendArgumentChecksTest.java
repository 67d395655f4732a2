package io.zbmd.gpu.vulkan;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendArgumentChecksTest;

/** The shared bad-input checks on the Vulkan backend: nothing reaches a command buffer. */
class VulkanBackendArgumentChecksTest extends BackendArgumentChecksTest {
  @Override
  protected Backend createBackend() {
    return VulkanTests.backend("");
  }
}
