package io.zbmd.benchmarks.messaging;

import com.typesafe.config.Config;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dispatcher and mailbox settings a variant actually ran with, read from its resolved config,
 * so that a report shows what "zbmd defaults" meant on the day.
 *
 * <pre>{@code
 * VariantSettings s = VariantSettings.of(Variant.zbmd());
 * }</pre>
 *
 * @param variant the variant's name
 * @param base whose defaults it starts from
 * @param overrides its HOCON overrides
 * @param settings Pekko key to value
 */
public record VariantSettings(
    String variant, Variant.Base base, String overrides, Map<String, String> settings) {

  private static final String DISPATCHER = "pekko.actor.default-dispatcher.";
  private static final List<String> KEYS = List.of(
      "throughput", "throughput-deadline-time", "executor");
  // Keys of the executor's own section, listed for the executor in use only.
  private static final List<String> EXECUTOR_KEYS = List.of(
      "parallelism-min", "parallelism-factor", "parallelism-max", "task-peeking-mode",
      "idle-cpu-level", "fixed-pool-size", "core-pool-size-min", "core-pool-size-factor",
      "core-pool-size-max");

  public VariantSettings {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  public static VariantSettings of(Variant variant) {
    Config config = variant.config();
    Map<String, String> settings = new LinkedHashMap<>();
    for (String key : KEYS) {
      settings.put(DISPATCHER + key, config.getValue(DISPATCHER + key).unwrapped().toString());
    }
    String executor = config.getString(DISPATCHER + "executor");
    // "default-executor" falls back to the fork-join executor unless a system is given another.
    String section = DISPATCHER
        + (executor.equals("default-executor")
            ? config.getString(DISPATCHER + "default-executor.fallback")
            : executor)
        + ".";
    for (String key : EXECUTOR_KEYS) {
      if (config.hasPath(section + key)) {
        settings.put(section + key, config.getValue(section + key).unwrapped().toString());
      }
    }
    String mailbox = "pekko.actor.default-mailbox.mailbox-type";
    settings.put(mailbox, config.getString(mailbox));
    return new VariantSettings(variant.name(), variant.base(), variant.overrides(), settings);
  }
}
