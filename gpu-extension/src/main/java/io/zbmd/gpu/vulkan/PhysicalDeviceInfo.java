package io.zbmd.gpu.vulkan;

import io.zbmd.gpu.DeviceKind;

/**
 * What the backend needs to know of a {@code VkPhysicalDevice} to choose it.
 *
 * @param index its position in {@code vkEnumeratePhysicalDevices}
 * @param name the driver's name for it ({@code llvmpipe (LLVM 15.0.6, 256 bits)})
 * @param kind its device type
 * @param apiVersion the Vulkan version it supports, {@code major.minor.patch}
 * @param computeQueueFamily the queue family work is submitted to, or -1 when none can compute
 * @param memoryBytes the size of its largest device-local memory heap
 */
record PhysicalDeviceInfo(
    int index,
    String name,
    DeviceKind kind,
    String apiVersion,
    int computeQueueFamily,
    long memoryBytes) {

  boolean canCompute() {
    return computeQueueFamily >= 0;
  }

  /** Selection order: discrete GPUs, then integrated, virtual, other, CPU. */
  int preference() {
    return switch (kind) {
      case DISCRETE_GPU -> 0;
      case INTEGRATED_GPU -> 1;
      case VIRTUAL_GPU -> 2;
      case OTHER -> 3;
      case CPU -> 4;
    };
  }

  @Override
  public String toString() {
    return name + " (" + kind + ", Vulkan " + apiVersion + ")";
  }
}
