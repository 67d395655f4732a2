package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.VK_API_VERSION_MAJOR;
import static org.lwjgl.vulkan.VK10.VK_API_VERSION_MINOR;
import static org.lwjgl.vulkan.VK10.VK_API_VERSION_PATCH;
import static org.lwjgl.vulkan.VK10.VK_MEMORY_HEAP_DEVICE_LOCAL_BIT;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_CPU;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
import static org.lwjgl.vulkan.VK10.VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
import static org.lwjgl.vulkan.VK10.VK_QUEUE_COMPUTE_BIT;
import static org.lwjgl.vulkan.VK10.VK_QUEUE_GRAPHICS_BIT;
import static org.lwjgl.vulkan.VK10.vkGetPhysicalDeviceMemoryProperties;
import static org.lwjgl.vulkan.VK10.vkGetPhysicalDeviceProperties;
import static org.lwjgl.vulkan.VK10.vkGetPhysicalDeviceQueueFamilyProperties;

import io.zbmd.gpu.DeviceKind;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceProperties;
import org.lwjgl.vulkan.VkQueueFamilyProperties;

/**
 * Finds the Vulkan devices of this machine and chooses among them: what the provider's {@code
 * unavailabilityCause} and the backend's start share. The choice itself ({@link #usable}, {@link
 * #whyNone}) is plain data, testable without Vulkan.
 */
final class VulkanProbe {
  private VulkanProbe() {}

  /**
   * Creates a throwaway instance and describes every physical device.
   *
   * @throws IllegalStateException saying what is missing
   */
  static List<PhysicalDeviceInfo> probe() {
    try (VulkanInstance instance =
        VulkanInstance.create(VulkanSettings.Validation.OFF, new VkObjects())) {
      return describe(instance.physicalDevices());
    }
  }

  static List<PhysicalDeviceInfo> describe(List<VkPhysicalDevice> devices) {
    List<PhysicalDeviceInfo> out = new ArrayList<>();
    for (int i = 0; i < devices.size(); i++) {
      out.add(describe(i, devices.get(i)));
    }
    return out;
  }

  static PhysicalDeviceInfo describe(int index, VkPhysicalDevice device) {
    try (MemoryStack s = stackPush()) {
      VkPhysicalDeviceProperties props = VkPhysicalDeviceProperties.malloc(s);
      vkGetPhysicalDeviceProperties(device, props);
      int api = props.apiVersion();
      return new PhysicalDeviceInfo(
          index,
          props.deviceNameString(),
          kind(props.deviceType()),
          VK_API_VERSION_MAJOR(api)
              + "."
              + VK_API_VERSION_MINOR(api)
              + "."
              + VK_API_VERSION_PATCH(api),
          computeQueueFamily(device, s),
          deviceLocalBytes(device, s));
    }
  }

  /**
   * The first compute family without graphics (a dedicated compute queue), else any that computes.
   */
  private static int computeQueueFamily(VkPhysicalDevice device, MemoryStack s) {
    IntBuffer n = s.mallocInt(1);
    vkGetPhysicalDeviceQueueFamilyProperties(device, n, null);
    VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(n.get(0), s);
    vkGetPhysicalDeviceQueueFamilyProperties(device, n, families);
    int any = -1;
    for (int i = 0; i < n.get(0); i++) {
      int flags = families.get(i).queueFlags();
      if ((flags & VK_QUEUE_COMPUTE_BIT) != 0 && families.get(i).queueCount() > 0) {
        if ((flags & VK_QUEUE_GRAPHICS_BIT) == 0) {
          return i;
        }
        if (any < 0) {
          any = i;
        }
      }
    }
    return any;
  }

  private static long deviceLocalBytes(VkPhysicalDevice device, MemoryStack s) {
    VkPhysicalDeviceMemoryProperties mem = VkPhysicalDeviceMemoryProperties.malloc(s);
    vkGetPhysicalDeviceMemoryProperties(device, mem);
    long best = 0;
    long any = 0;
    for (int i = 0; i < mem.memoryHeapCount(); i++) {
      long size = mem.memoryHeaps(i).size();
      any = Math.max(any, size);
      if ((mem.memoryHeaps(i).flags() & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0) {
        best = Math.max(best, size);
      }
    }
    return best > 0 ? best : any;
  }

  static DeviceKind kind(int type) {
    return switch (type) {
      case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU -> DeviceKind.DISCRETE_GPU;
      case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU -> DeviceKind.INTEGRATED_GPU;
      case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU -> DeviceKind.VIRTUAL_GPU;
      case VK_PHYSICAL_DEVICE_TYPE_CPU -> DeviceKind.CPU;
      default -> DeviceKind.OTHER;
    };
  }

  /**
   * The devices the backend uses, in the order it numbers them: those with a compute queue,
   * discrete GPUs first, then integrated, virtual, other, and CPU-type devices (Mesa lavapipe,
   * SwiftShader) last and only when {@code allowCpu}; enumeration order within a kind.
   */
  static List<PhysicalDeviceInfo> usable(List<PhysicalDeviceInfo> all, boolean allowCpu) {
    return all.stream()
        .filter(PhysicalDeviceInfo::canCompute)
        .filter(d -> allowCpu || d.kind() != DeviceKind.CPU)
        .sorted(
            Comparator.comparingInt(PhysicalDeviceInfo::preference)
                .thenComparingInt(PhysicalDeviceInfo::index))
        .toList();
  }

  /** Why {@link #usable} is empty, or empty when it is not. */
  static Optional<String> whyNone(List<PhysicalDeviceInfo> all, boolean allowCpu) {
    if (!usable(all, allowCpu).isEmpty()) {
      return Optional.empty();
    }
    if (all.isEmpty()) {
      return Optional.of(
          "the Vulkan loader found no device: no installed driver (ICD) has one"
              + " here; install mesa-vulkan-drivers (lavapipe, a CPU device) or your GPU's driver");
    }
    List<PhysicalDeviceInfo> computing =
        all.stream().filter(PhysicalDeviceInfo::canCompute).toList();
    if (computing.isEmpty()) {
      return Optional.of("no Vulkan device has a compute queue: " + all);
    }
    return Optional.of(
        "the only Vulkan devices are CPU devices "
            + computing
            + ", and "
            + VulkanSettings.PATH
            + ".allow-cpu-devices is off; set it on to use them (tests and CI"
            + " do)");
  }
}
