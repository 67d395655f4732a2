package io.zbmd.gpu.vulkan;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vulkan backend: one instance, and a {@link VulkanDevice} per usable physical device, in
 * preference order ({@code vulkan:0} is the best), sharing one shader cache.
 */
final class VulkanBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(VulkanBackend.class);

  private final VulkanSettings settings;
  private final VkObjects objects = new VkObjects();
  private final VulkanInstance instance;
  private final ShaderCache shaders;
  private final List<VulkanDevice> devices = new ArrayList<>();
  private final List<Device> deviceInfo;
  private volatile boolean closed;

  VulkanBackend(VulkanSettings settings) {
    this.settings = settings;
    this.instance = VulkanInstance.create(settings.validation(), objects);
    this.shaders = new ShaderCache(settings.shaderCache() ? settings.shaderCacheDir() : null);
    try {
      List<VkPhysicalDevice> physical = instance.physicalDevices();
      List<PhysicalDeviceInfo> all = VulkanProbe.describe(physical);
      VulkanProbe.whyNone(all, settings.allowCpuDevices())
          .ifPresent(
              why -> {
                throw new IllegalStateException(why);
              });
      List<PhysicalDeviceInfo> usable = VulkanProbe.usable(all, settings.allowCpuDevices());
      for (int i = 0; i < usable.size(); i++) {
        PhysicalDeviceInfo info = usable.get(i);
        devices.add(
            new VulkanDevice(
                new DeviceId("vulkan", i),
                physical.get(info.index()),
                info,
                settings,
                shaders,
                objects));
      }
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
    this.deviceInfo = devices.stream().map(VulkanDevice::device).toList();
    log.info("vulkan backend: {}{}", deviceInfo, instance.validating ? " (validation on)" : "");
  }

  @Override
  public String name() {
    return "vulkan";
  }

  @Override
  public List<Device> devices() {
    return deviceInfo;
  }

  @Override
  public DeviceBuffer allocate(DeviceId device, DType dtype, long elements, String owner) {
    if (closed) {
      throw new IllegalStateException("the vulkan backend is closed; cannot allocate for " + owner);
    }
    return device(device).allocate(dtype, elements, owner);
  }

  @Override
  public DeviceStream stream(DeviceId device) {
    return device(device).stream();
  }

  @Override
  public long freeMemory(DeviceId device) {
    return device(device).freeBytes();
  }

  VulkanDevice device(DeviceId id) {
    if (id != null && id.backend().equals("vulkan") && id.index() < devices.size()) {
      return devices.get(id.index());
    }
    throw new IllegalArgumentException(
        "the vulkan backend has devices "
            + deviceInfo.stream().map(Device::id).toList()
            + "; no "
            + id);
  }

  VulkanSettings settings() {
    return settings;
  }

  ShaderCache shaders() {
    return shaders;
  }

  /** Vulkan objects alive now, by type: none after {@link #close}. */
  java.util.Map<String, Long> liveObjects() {
    return objects.alive();
  }

  /** Errors the validation layer reported (0 when it is not enabled). */
  long validationErrors() {
    return instance.validationErrors();
  }

  boolean validating() {
    return instance.validating;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (VulkanDevice d : devices) {
      try {
        d.close();
      } catch (RuntimeException e) {
        log.warn("closing {} failed", d.id(), e);
      }
    }
    shaders.close();
    instance.close();
    Object left = objects.alive();
    if (!objects.alive().isEmpty()) {
      log.error("vulkan backend closed with Vulkan objects still alive: {}", left);
    }
  }
}
