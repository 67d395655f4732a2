package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.EXTDebugUtils.VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
import static org.lwjgl.vulkan.EXTDebugUtils.VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
import static org.lwjgl.vulkan.EXTDebugUtils.VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT;
import static org.lwjgl.vulkan.EXTDebugUtils.VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
import static org.lwjgl.vulkan.EXTDebugUtils.VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
import static org.lwjgl.vulkan.EXTDebugUtils.VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
import static org.lwjgl.vulkan.EXTDebugUtils.vkCreateDebugUtilsMessengerEXT;
import static org.lwjgl.vulkan.EXTDebugUtils.vkDestroyDebugUtilsMessengerEXT;
import static org.lwjgl.vulkan.EXTValidationFeatures.VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
import static org.lwjgl.vulkan.EXTValidationFeatures.VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
import static org.lwjgl.vulkan.KHRPortabilityEnumeration.VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
import static org.lwjgl.vulkan.KHRPortabilityEnumeration.VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
import static org.lwjgl.vulkan.VK10.VK_API_VERSION_1_0;
import static org.lwjgl.vulkan.VK10.VK_FALSE;
import static org.lwjgl.vulkan.VK10.VK_SUCCESS;
import static org.lwjgl.vulkan.VK10.vkCreateInstance;
import static org.lwjgl.vulkan.VK10.vkDestroyInstance;
import static org.lwjgl.vulkan.VK10.vkEnumerateInstanceExtensionProperties;
import static org.lwjgl.vulkan.VK10.vkEnumerateInstanceLayerProperties;
import static org.lwjgl.vulkan.VK10.vkEnumeratePhysicalDevices;

import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VK;
import org.lwjgl.vulkan.VkApplicationInfo;
import org.lwjgl.vulkan.VkDebugUtilsMessengerCallbackDataEXT;
import org.lwjgl.vulkan.VkDebugUtilsMessengerCallbackEXT;
import org.lwjgl.vulkan.VkDebugUtilsMessengerCreateInfoEXT;
import org.lwjgl.vulkan.VkExtensionProperties;
import org.lwjgl.vulkan.VkInstance;
import org.lwjgl.vulkan.VkInstanceCreateInfo;
import org.lwjgl.vulkan.VkLayerProperties;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkValidationFeaturesEXT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code VkInstance}, with the Khronos validation layer and a debug messenger that logs its
 * reports when validation is on. Errors the layer reports are counted, so that tests can assert
 * there were none.
 */
final class VulkanInstance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VulkanInstance.class);

  static final String VALIDATION_LAYER = "VK_LAYER_KHRONOS_validation";

  final VkInstance handle;

  /** True when the validation layer is enabled. */
  final boolean validating;

  private final AtomicLong validationErrors = new AtomicLong();
  private final VkObjects objects;
  private long messenger;
  private VkDebugUtilsMessengerCallbackEXT callback;

  private VulkanInstance(VkInstance handle, boolean validating, VkObjects objects) {
    this.handle = handle;
    this.validating = validating;
    this.objects = objects;
  }

  /**
   * Why the Vulkan loader cannot be used, or null when it can. LWJGL loads {@code libvulkan.so.1}
   * when its {@code VK} class initializes; a failure there is kept, since later uses of the class
   * only say that it could not initialize.
   */
  static Throwable loaderFailure() {
    return Loader.FAILURE;
  }

  private static final class Loader {
    static final Throwable FAILURE = load();

    private static Throwable load() {
      try {
        if (VK.getFunctionProvider() == null) {
          return new IllegalStateException("LWJGL found no Vulkan function provider");
        }
        return null;
      } catch (Throwable t) {
        return t;
      }
    }
  }

  /**
   * Creates an instance.
   *
   * @throws IllegalStateException saying what is missing (loader, driver, validation layer)
   */
  static VulkanInstance create(VulkanSettings.Validation validation, VkObjects objects) {
    Throwable loader = loaderFailure();
    if (loader != null) {
      throw new IllegalStateException(
          "no Vulkan loader: libvulkan.so.1 could not be loaded ("
              + loader
              + "); install libvulkan1 and a Vulkan driver (mesa-vulkan-drivers, or your GPU's)",
          loader);
    }
    try (MemoryStack s = stackPush()) {
      Set<String> layers = layers(s);
      Set<String> extensions = extensions(s);
      boolean validate =
          switch (validation) {
            case OFF -> false;
            case ON -> {
              if (!layers.contains(VALIDATION_LAYER)) {
                throw new IllegalStateException(
                    VulkanSettings.PATH
                        + ".validation = on, but "
                        + VALIDATION_LAYER
                        + " is not installed (e.g. apt install vulkan-validationlayers);"
                        + " installed layers: "
                        + layers);
              }
              yield true;
            }
            case AUTO -> {
              if (!layers.contains(VALIDATION_LAYER)) {
                log.info(
                    "{} is not installed: Vulkan runs without validation ({}.validation = auto)",
                    VALIDATION_LAYER,
                    VulkanSettings.PATH);
              }
              yield layers.contains(VALIDATION_LAYER);
            }
          };
      List<String> enable = new ArrayList<>();
      int flags = 0;
      // MoltenVK (macOS) lists its devices only to instances that accept portability drivers.
      if (extensions.contains(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        enable.add(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
      }
      boolean messages = validate && extensions.contains(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      if (messages) {
        enable.add(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      }
      // The layer's synchronization checks find a missing barrier, which the default checks do not.
      boolean syncChecks =
          validate
              && extensionsOf(VALIDATION_LAYER, s)
                  .contains(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
      if (syncChecks) {
        enable.add(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
      }
      PointerBuffer ext = s.mallocPointer(Math.max(1, enable.size()));
      for (String e : enable) {
        ext.put(s.UTF8(e));
      }
      ext.flip();
      VkApplicationInfo app =
          VkApplicationInfo.calloc(s)
              .sType$Default()
              .pApplicationName(s.UTF8("zbmd"))
              .pEngineName(s.UTF8("zbmd"))
              .apiVersion(VK_API_VERSION_1_0);
      VkInstanceCreateInfo info =
          VkInstanceCreateInfo.calloc(s)
              .sType$Default()
              .flags(flags)
              .pApplicationInfo(app)
              .ppEnabledLayerNames(validate ? s.pointers(s.UTF8(VALIDATION_LAYER)) : null)
              .ppEnabledExtensionNames(enable.isEmpty() ? null : ext);
      if (syncChecks) {
        info.pNext(
            VkValidationFeaturesEXT.calloc(s)
                .sType$Default()
                .pEnabledValidationFeatures(
                    s.ints(VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT)));
      }
      PointerBuffer pp = s.mallocPointer(1);
      int r = vkCreateInstance(info, null, pp);
      if (r == -9) { // VK_ERROR_INCOMPATIBLE_DRIVER: the loader found no driver (ICD) that loads
        throw new IllegalStateException(
            "no Vulkan driver: the loader found no installable client"
                + " driver (ICD) that loads (VK_ERROR_INCOMPATIBLE_DRIVER); install"
                + " mesa-vulkan-drivers or your GPU's driver");
      }
      if (r != VK_SUCCESS) {
        throw new IllegalStateException("vkCreateInstance returned " + Vk.name(r));
      }
      VulkanInstance instance =
          new VulkanInstance(new VkInstance(pp.get(0), info), validate, objects);
      objects.created("VkInstance");
      if (messages) {
        try {
          instance.createMessenger(s);
        } catch (RuntimeException e) {
          instance.close();
          throw e;
        }
      }
      return instance;
    }
  }

  private void createMessenger(MemoryStack s) {
    callback =
        VkDebugUtilsMessengerCallbackEXT.create(
            (severity, types, data, user) -> {
              String message = VkDebugUtilsMessengerCallbackDataEXT.create(data).pMessageString();
              if ((severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) != 0) {
                validationErrors.incrementAndGet();
                log.error("Vulkan validation: {}", message);
              } else {
                log.warn("Vulkan validation: {}", message);
              }
              return VK_FALSE;
            });
    VkDebugUtilsMessengerCreateInfoEXT info =
        VkDebugUtilsMessengerCreateInfoEXT.calloc(s)
            .sType$Default()
            .messageSeverity(
                VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT
                    | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
            .messageType(
                VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT
                    | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
                    | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT)
            .pfnUserCallback(callback);
    LongBuffer lp = s.mallocLong(1);
    int r = vkCreateDebugUtilsMessengerEXT(handle, info, null, lp);
    if (r != VK_SUCCESS) {
      throw new IllegalStateException("vkCreateDebugUtilsMessengerEXT returned " + Vk.name(r));
    }
    messenger = lp.get(0);
    objects.created("VkDebugUtilsMessengerEXT");
  }

  /** Errors the validation layer reported so far (0 without validation). */
  long validationErrors() {
    return validationErrors.get();
  }

  List<VkPhysicalDevice> physicalDevices() {
    try (MemoryStack s = stackPush()) {
      IntBuffer count = s.mallocInt(1);
      int r = vkEnumeratePhysicalDevices(handle, count, null);
      if (r != VK_SUCCESS) {
        throw new IllegalStateException("vkEnumeratePhysicalDevices returned " + Vk.name(r));
      }
      PointerBuffer devices = s.mallocPointer(count.get(0));
      r = vkEnumeratePhysicalDevices(handle, count, devices);
      if (r != VK_SUCCESS && r != 5) {
        throw new IllegalStateException("vkEnumeratePhysicalDevices returned " + Vk.name(r));
      }
      List<VkPhysicalDevice> out = new ArrayList<>();
      for (int i = 0; i < count.get(0); i++) {
        out.add(new VkPhysicalDevice(devices.get(i), handle));
      }
      return out;
    }
  }

  private static Set<String> layers(MemoryStack s) {
    IntBuffer n = s.mallocInt(1);
    if (vkEnumerateInstanceLayerProperties(n, null) != VK_SUCCESS || n.get(0) == 0) {
      return Set.of();
    }
    VkLayerProperties.Buffer props = VkLayerProperties.malloc(n.get(0), s);
    vkEnumerateInstanceLayerProperties(n, props);
    Set<String> out = new HashSet<>();
    for (int i = 0; i < n.get(0); i++) {
      out.add(props.get(i).layerNameString());
    }
    return out;
  }

  private static Set<String> extensions(MemoryStack s) {
    return extensionsOf(null, s);
  }

  /** The instance extensions of {@code layer}, or of the loader and drivers when null. */
  private static Set<String> extensionsOf(String layer, MemoryStack s) {
    IntBuffer n = s.mallocInt(1);
    if (vkEnumerateInstanceExtensionProperties(layer, n, null) != VK_SUCCESS || n.get(0) == 0) {
      return Set.of();
    }
    VkExtensionProperties.Buffer props = VkExtensionProperties.malloc(n.get(0), s);
    vkEnumerateInstanceExtensionProperties(layer, n, props);
    Set<String> out = new HashSet<>();
    for (int i = 0; i < n.get(0); i++) {
      out.add(props.get(i).extensionNameString());
    }
    return out;
  }

  @Override
  public void close() {
    if (messenger != 0) {
      vkDestroyDebugUtilsMessengerEXT(handle, messenger, null);
      messenger = 0;
      objects.destroyed("VkDebugUtilsMessengerEXT");
    }
    if (callback != null) {
      callback.free();
      callback = null;
    }
    vkDestroyInstance(handle, null);
    objects.destroyed("VkInstance");
  }
}
