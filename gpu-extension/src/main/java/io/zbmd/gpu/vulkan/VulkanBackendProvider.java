package io.zbmd.gpu.vulkan;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendProvider;
import io.zbmd.gpu.internal.OptionalJars;
import java.util.List;
import java.util.Optional;

/**
 * The Vulkan backend: GLSL compute shaders compiled to SPIR-V at run time (and cached on disk) over
 * LWJGL and the system's Vulkan loader, {@code libvulkan.so.1}. It reaches every vendor's GPU and,
 * through Mesa lavapipe, a plain CPU, where CI tests it. Its devices are {@code vulkan:0}, {@code
 * vulkan:1}..., discrete GPUs first; CPU-type devices only with {@code
 * zbmd.gpu.vulkan.allow-cpu-devices = on}.
 *
 * <p>Loading this class never touches native code. {@link #unavailabilityCause(Config)} says why
 * the backend cannot start with a config (no loader, no driver, no device that computes, only CPU
 * devices while they are not allowed); {@link #unavailabilityCause()} says it for the defaults.
 *
 * <pre>{@code
 * zbmd.gpu.backends = [vulkan, cpu]
 * zbmd.gpu.vulkan.allow-cpu-devices = on   // to run on lavapipe
 * }</pre>
 */
public final class VulkanBackendProvider implements BackendProvider {
  /** The probe's result, once: a list of devices, or the Throwable saying why there is none. */
  private volatile Object probed;

  @Override
  public String name() {
    return "vulkan";
  }

  @Override
  public int rank() {
    return 10;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    return unavailabilityCause(ConfigFactory.empty());
  }

  @Override
  public boolean isAvailable(Config config) {
    return unavailabilityCause(config).isEmpty();
  }

  @Override
  public Optional<Throwable> unavailabilityCause(Config config) {
    Optional<Throwable> missing =
        OptionalJars.missing("vulkan", "org.lwjgl.vulkan.VK10", "org.lwjgl:lwjgl-vulkan");
    if (missing.isPresent()) {
      return missing;
    }
    VulkanSettings settings;
    try {
      settings = VulkanSettings.fromConfig(config);
    } catch (RuntimeException e) {
      return Optional.of(e);
    }
    Object p = probe();
    if (p instanceof Throwable t) {
      return Optional.of(t);
    }
    @SuppressWarnings("unchecked")
    List<PhysicalDeviceInfo> devices = (List<PhysicalDeviceInfo>) p;
    return VulkanProbe.whyNone(devices, settings.allowCpuDevices()).map(IllegalStateException::new);
  }

  private Object probe() {
    Object p = probed;
    if (p == null) {
      try {
        p = VulkanProbe.probe();
      } catch (Throwable t) {
        p =
            t instanceof IllegalStateException
                ? t
                : new IllegalStateException("probing Vulkan failed: " + t, t);
      }
      probed = p;
    }
    return p;
  }

  @Override
  public Backend create(Config config) {
    return new VulkanBackend(VulkanSettings.fromConfig(config));
  }
}
