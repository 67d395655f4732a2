package io.zbmd.gpu.vulkan;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Settings of the Vulkan backend, read once from {@code zbmd.gpu.vulkan} (each key is documented in
 * gpu-extension's {@code reference.conf}). A wrong value fails with an {@link
 * IllegalArgumentException} naming the key.
 *
 * <pre>{@code
 * Config block = ConfigFactory.parseString("allow-cpu-devices = on, memory-budget = 1 GiB");
 * VulkanSettings s = VulkanSettings.fromConfig(block); // s.memoryBudget() == 1 << 30
 * Backend vulkan = new VulkanBackendProvider().create(block); // reads the same block
 * }</pre>
 *
 * @param allowCpuDevices whether CPU-type devices (Mesa lavapipe) are used ({@code
 *     allow-cpu-devices})
 * @param validation whether the Khronos validation layer is enabled ({@code validation})
 * @param shaderCache whether compiled SPIR-V is kept on disk ({@code shader-cache})
 * @param shaderCacheDir where it is kept ({@code shader-cache-dir})
 * @param blockSize invocations per workgroup of the one-dimensional kernels ({@code block-size})
 * @param gemmWorkgroup the side of the gemm kernel's square workgroup, 8 or 16, or 0 for 8 on CPU
 *     devices and 16 on GPUs ({@code gemm-workgroup})
 * @param memoryBlockSize bytes of each device memory block buffers are carved from ({@code
 *     memory-block-size})
 * @param memoryBudget the most device memory the backend allocates from the driver, in bytes, or 0
 *     for no limit beyond the device's heap ({@code memory-budget})
 */
public record VulkanSettings(
    boolean allowCpuDevices,
    Validation validation,
    boolean shaderCache,
    Path shaderCacheDir,
    int blockSize,
    int gemmWorkgroup,
    long memoryBlockSize,
    long memoryBudget) {

  /** The config path of these settings. */
  public static final String PATH = "zbmd.gpu.vulkan";

  /** When the Khronos validation layer ({@code VK_LAYER_KHRONOS_validation}) is enabled. */
  public enum Validation {
    /** Never (the default: validation costs time on every call). */
    OFF,
    /** When the layer is installed; otherwise the backend runs without it and logs that once. */
    AUTO,
    /** Always: the backend fails to start when the layer is not installed. */
    ON
  }

  public VulkanSettings {
    if (validation == null) {
      throw new IllegalArgumentException(PATH + ".validation must be off, auto or on");
    }
    if (shaderCacheDir == null) {
      throw new IllegalArgumentException(PATH + ".shader-cache-dir must be set");
    }
    if (blockSize < 32 || blockSize > 1024 || Integer.bitCount(blockSize) != 1) {
      throw new IllegalArgumentException(
          PATH + ".block-size must be a power of two from 32 to 1024, got " + blockSize);
    }
    if (gemmWorkgroup != 0 && gemmWorkgroup != 8 && gemmWorkgroup != 16) {
      throw new IllegalArgumentException(
          PATH + ".gemm-workgroup must be auto, 8 or 16, got " + gemmWorkgroup);
    }
    if (memoryBlockSize < (1 << 20)) {
      throw new IllegalArgumentException(
          PATH + ".memory-block-size must be at least 1 MiB, got " + memoryBlockSize);
    }
    if (memoryBudget < 0) {
      throw new IllegalArgumentException(
          PATH + ".memory-budget must be off or > 0 bytes, got " + memoryBudget);
    }
  }

  /** The defaults of {@code reference.conf}, with the shader cache under {@code ./zbmd-data}. */
  public static VulkanSettings defaults() {
    return fromConfig(com.typesafe.config.ConfigFactory.empty());
  }

  /**
   * Reads the {@code zbmd.gpu.vulkan} block; missing keys take the defaults of {@code
   * reference.conf} (a block built by hand in a test need not list them all).
   */
  public static VulkanSettings fromConfig(Config c) {
    return new VulkanSettings(
        c.hasPath("allow-cpu-devices") && bool(c, "allow-cpu-devices"),
        c.hasPath("validation") ? validation(c) : Validation.OFF,
        !c.hasPath("shader-cache") || bool(c, "shader-cache"),
        Path.of(
            c.hasPath("shader-cache-dir")
                ? c.getString("shader-cache-dir")
                : "./zbmd-data/shader-cache"),
        c.hasPath("block-size") ? c.getInt("block-size") : 256,
        c.hasPath("gemm-workgroup") ? gemmWorkgroup(c) : 0,
        c.hasPath("memory-block-size") ? c.getBytes("memory-block-size") : 64L << 20,
        c.hasPath("memory-budget") ? budget(c) : 0);
  }

  private static boolean bool(Config c, String key) {
    try {
      return c.getBoolean(key);
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException(PATH + "." + key + " must be on or off", e);
    }
  }

  private static int gemmWorkgroup(Config c) {
    if (c.getValue("gemm-workgroup").valueType() == ConfigValueType.STRING
        && c.getString("gemm-workgroup").trim().equalsIgnoreCase("auto")) {
      return 0;
    }
    try {
      return c.getInt("gemm-workgroup");
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException(PATH + ".gemm-workgroup must be auto, 8 or 16", e);
    }
  }

  /** The gemm workgroup side for a device of {@code kind}: the setting, or by kind when auto. */
  int gemmWorkgroupFor(io.zbmd.gpu.DeviceKind kind) {
    return gemmWorkgroup != 0 ? gemmWorkgroup : kind == io.zbmd.gpu.DeviceKind.CPU ? 8 : 16;
  }

  private static Validation validation(Config c) {
    if (c.getValue("validation").valueType() == ConfigValueType.BOOLEAN) {
      return c.getBoolean("validation") ? Validation.ON : Validation.OFF;
    }
    String v = c.getString("validation").trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "off", "false", "no" -> Validation.OFF;
      case "on", "true", "yes" -> Validation.ON;
      case "auto" -> Validation.AUTO;
      default ->
          throw new IllegalArgumentException(
              PATH + ".validation must be off, auto or on, got '" + v + "'");
    };
  }

  private static long budget(Config c) {
    ConfigValueType t = c.getValue("memory-budget").valueType();
    if (t == ConfigValueType.BOOLEAN) {
      if (c.getBoolean("memory-budget")) {
        throw new IllegalArgumentException(PATH + ".memory-budget must be off or a size, got on");
      }
      return 0;
    }
    if (t == ConfigValueType.STRING) {
      String v = c.getString("memory-budget").trim().toLowerCase(Locale.ROOT);
      if (v.equals("off") || v.equals("false") || v.equals("no")) {
        return 0;
      }
      if (v.equals("on") || v.equals("true") || v.equals("yes")) {
        throw new IllegalArgumentException(PATH + ".memory-budget must be off or a size, got " + v);
      }
    }
    long bytes;
    try {
      bytes = c.getBytes("memory-budget");
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException(
          PATH
              + ".memory-budget must be off or a size (512 MiB), got "
              + c.getValue("memory-budget").render(),
          e);
    }
    if (bytes <= 0) {
      throw new IllegalArgumentException(PATH + ".memory-budget must be off or > 0, got " + bytes);
    }
    return bytes;
  }
}
