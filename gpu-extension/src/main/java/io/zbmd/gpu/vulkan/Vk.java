package io.zbmd.gpu.vulkan;

import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.KernelException;

/** {@code VkResult} codes: their names, and the typed exception each failure becomes. */
final class Vk {
  static final int VK_ERROR_OUT_OF_POOL_MEMORY = -1000069000;
  static final int VK_ERROR_FRAGMENTATION = -1000161000;

  private Vk() {}

  static String name(int result) {
    return switch (result) {
      case 0 -> "VK_SUCCESS";
      case 1 -> "VK_NOT_READY";
      case 2 -> "VK_TIMEOUT";
      case 5 -> "VK_INCOMPLETE";
      case -1 -> "VK_ERROR_OUT_OF_HOST_MEMORY";
      case -2 -> "VK_ERROR_OUT_OF_DEVICE_MEMORY";
      case -3 -> "VK_ERROR_INITIALIZATION_FAILED";
      case -4 -> "VK_ERROR_DEVICE_LOST";
      case -5 -> "VK_ERROR_MEMORY_MAP_FAILED";
      case -6 -> "VK_ERROR_LAYER_NOT_PRESENT";
      case -7 -> "VK_ERROR_EXTENSION_NOT_PRESENT";
      case -8 -> "VK_ERROR_FEATURE_NOT_PRESENT";
      case -9 -> "VK_ERROR_INCOMPATIBLE_DRIVER";
      case -10 -> "VK_ERROR_TOO_MANY_OBJECTS";
      case -12 -> "VK_ERROR_FRAGMENTED_POOL";
      case -13 -> "VK_ERROR_UNKNOWN";
      case VK_ERROR_OUT_OF_POOL_MEMORY -> "VK_ERROR_OUT_OF_POOL_MEMORY";
      case VK_ERROR_FRAGMENTATION -> "VK_ERROR_FRAGMENTATION";
      default -> "VkResult " + result;
    };
  }

  static boolean isOutOfMemory(int result) {
    return result == -1 || result == -2;
  }

  /**
   * The exception a failed call becomes: out of host or device memory is a {@link
   * DeviceOutOfMemoryException} (with what was asked and what is free), a lost device a {@link
   * DeviceLostException}, anything else a {@link KernelException} naming the call.
   */
  static DeviceException failure(
      DeviceId device, int result, String call, long requested, long free) {
    String what = call + " returned " + name(result);
    if (isOutOfMemory(result)) {
      return new DeviceOutOfMemoryException(device, requested, Math.max(free, 0), what);
    }
    if (result == -4) {
      return new DeviceLostException(device, what, null);
    }
    return new KernelException(device, what, null);
  }
}
