package io.zbmd.gpu;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The settings of {@link GpuExtension}, read once from {@code zbmd.gpu} when the extension starts
 * (each key is documented in this module's {@code reference.conf}). A wrong value fails the start
 * with an {@link IllegalArgumentException} naming the key.
 *
 * <pre>{@code
 * GpuSettings s = GpuSettings.fromConfig(Zbmd.config(ConfigFactory.parseString(
 *     "zbmd.gpu.devices.cpu-0.memory-limit = 512 MiB")));
 * s.memoryLimit(DeviceId.parse("cpu:0")); // OptionalLong[536870912]
 * }</pre>
 *
 * @param backends backend names to load, in order of preference ({@code zbmd.gpu.backends})
 * @param leakDetection the leak detector's level ({@code zbmd.gpu.leak-detection})
 * @param leakCheckInterval how often the leak detector checks ({@code
 *     zbmd.gpu.leak-check-interval})
 * @param memoryLimits per-device accounting limits in bytes ({@code
 *     zbmd.gpu.devices.<key>.memory-limit})
 * @param dispatcherThroughput messages a device actor handles before its device thread moves on
 *     ({@code zbmd.gpu.device-dispatcher.throughput})
 * @param deviceDispatcher the dispatcher block each device's pinned dispatcher is built from
 *     ({@code zbmd.gpu.device-dispatcher})
 */
public record GpuSettings(
    List<String> backends,
    LeakDetector.Level leakDetection,
    Duration leakCheckInterval,
    Map<DeviceId, Long> memoryLimits,
    int dispatcherThroughput,
    Config deviceDispatcher) {

  /** The config path of this module's settings. */
  public static final String PATH = "zbmd.gpu";

  private static final Set<String> DEVICE_KEYS = Set.of("memory-limit");

  public GpuSettings {
    backends = List.copyOf(backends);
    Set<String> seen = new HashSet<>();
    for (String b : backends) {
      if (!b.matches("[a-z0-9-]+")) {
        throw new IllegalArgumentException(
            PATH + ".backends: a backend name is lower-case [a-z0-9-]+, got '" + b + "'");
      }
      if (!seen.add(b)) {
        throw new IllegalArgumentException(PATH + ".backends names '" + b + "' twice: " + backends);
      }
    }
    Objects.requireNonNull(leakDetection, "leakDetection");
    if (leakCheckInterval.isNegative() || leakCheckInterval.isZero()) {
      throw new IllegalArgumentException(
          PATH + ".leak-check-interval must be > 0, got " + leakCheckInterval);
    }
    memoryLimits = Map.copyOf(memoryLimits);
    memoryLimits.forEach(
        (id, limit) -> {
          if (limit <= 0) {
            throw new IllegalArgumentException(
                PATH
                    + ".devices."
                    + id.key()
                    + ".memory-limit must be > 0 bytes (or off), got "
                    + limit);
          }
        });
    if (dispatcherThroughput < 1) {
      throw new IllegalArgumentException(
          PATH + ".device-dispatcher.throughput must be >= 1, got " + dispatcherThroughput);
    }
    Objects.requireNonNull(deviceDispatcher, "deviceDispatcher");
  }

  /** Reads {@code zbmd.gpu} from a full configuration (this module's reference.conf included). */
  public static GpuSettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    return new GpuSettings(
        read(c, "backends", () -> c.getStringList("backends")),
        read(c, "leak-detection", () -> LeakDetector.Level.parse(c.getString("leak-detection"))),
        read(c, "leak-check-interval", () -> c.getDuration("leak-check-interval")),
        memoryLimits(c),
        read(c, "device-dispatcher.throughput", () -> c.getInt("device-dispatcher.throughput")),
        read(c, "device-dispatcher", () -> c.getConfig("device-dispatcher")));
  }

  /** The configured memory limit of {@code device} in bytes, if any. */
  public OptionalLong memoryLimit(DeviceId device) {
    Long limit = memoryLimits.get(device);
    return limit == null ? OptionalLong.empty() : OptionalLong.of(limit);
  }

  private static Map<DeviceId, Long> memoryLimits(Config c) {
    Map<DeviceId, Long> limits = new LinkedHashMap<>();
    if (!c.hasPath("devices")) {
      return limits;
    }
    ConfigObject devices = read(c, "devices", () -> c.getObject("devices"));
    Map<DeviceId, String> keyOf = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : devices.entrySet()) {
      String key = e.getKey();
      String path = PATH + ".devices.\"" + key + "\"";
      DeviceId id = parseDeviceKey(key, path);
      String other = keyOf.putIfAbsent(id, key);
      if (other != null) {
        throw new IllegalArgumentException(
            PATH + ".devices configures " + id + " twice: as '" + other + "' and as '" + key + "'");
      }
      if (e.getValue().valueType() != ConfigValueType.OBJECT) {
        throw new IllegalArgumentException(
            path
                + " must be a block like { memory-limit = 512 MiB }, got "
                + e.getValue().valueType());
      }
      ConfigObject block = (ConfigObject) e.getValue();
      for (String k : block.keySet()) {
        if (!DEVICE_KEYS.contains(k)) {
          throw new IllegalArgumentException(
              path + "." + k + " is not a device setting; known: " + DEVICE_KEYS);
        }
      }
      ConfigValue limit = block.get("memory-limit");
      if (limit == null || limit.valueType() == ConfigValueType.NULL) {
        continue;
      }
      if (limit.valueType() == ConfigValueType.STRING
          && Set.of("off", "none").contains(String.valueOf(limit.unwrapped()).trim())) {
        continue;
      }
      if (limit.valueType() == ConfigValueType.BOOLEAN && !(Boolean) limit.unwrapped()) {
        continue; // `memory-limit = false`
      }
      Config blockConfig = block.toConfig();
      long bytes;
      try {
        bytes = blockConfig.getBytes("memory-limit");
      } catch (ConfigException e2) {
        throw new IllegalArgumentException(
            path
                + ".memory-limit must be a size in bytes such as "
                + "\"512 MiB\", or off: "
                + e2.getMessage(),
            e2);
      }
      if (bytes <= 0) {
        throw new IllegalArgumentException(
            path + ".memory-limit must be > 0 bytes (or off), got " + limit.unwrapped());
      }
      limits.put(id, bytes);
    }
    return limits;
  }

  /** {@code cpu-0} or {@code cpu:0} (quoted in HOCON) → {@code cpu:0}. */
  static DeviceId parseDeviceKey(String key, String path) {
    try {
      if (key.contains(":")) {
        return DeviceId.parse(key);
      }
      int dash = key.lastIndexOf('-');
      if (dash > 0
          && dash < key.length() - 1
          && key.substring(dash + 1).chars().allMatch(Character::isDigit)) {
        return new DeviceId(key.substring(0, dash), Integer.parseInt(key.substring(dash + 1)));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          path + ": not a device key; write it as cpu-0 or \"cpu:0\": " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(path + ": not a device key; write it as cpu-0 or \"cpu:0\"");
  }

  private interface Read<T> {
    T get();
  }

  private static <T> T read(Config c, String key, Read<T> read) {
    try {
      return read.get();
    } catch (ConfigException | IllegalArgumentException e) {
      throw new IllegalArgumentException(PATH + "." + key + ": " + e.getMessage(), e);
    }
  }
}
