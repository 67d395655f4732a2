package io.zbmd.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.metrics.ZbmdMetrics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Entry point: creates a typed {@link ActorSystem} with zbmd's defaults.
 *
 * <p>Configuration is layered, highest first: the {@code config} argument, system properties,
 * {@code application.conf}, then zbmd's measured Pekko defaults ({@code zbmd.pekko-defaults}), then
 * every {@code reference.conf} on the class path.
 *
 * <pre>{@code
 * ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "app");
 * }</pre>
 */
public final class Zbmd {
  private Zbmd() {}

  /** A system named {@code name} with the guardian {@code guardian} and the default config. */
  public static <T> ActorSystem<T> create(Behavior<T> guardian, String name) {
    return create(guardian, name, ConfigFactory.empty());
  }

  /** A system whose settings are {@code config} over zbmd's defaults. */
  public static <T> ActorSystem<T> create(Behavior<T> guardian, String name, Config config) {
    ActorSystem<T> system = ActorSystem.create(guardian, name, config(config));
    if (system.settings().config().getBoolean("zbmd.metrics.prometheus.enabled")) {
      // An enabled endpoint should answer from the start, not from the first recorded metric.
      ZbmdMetrics.get(system);
    }
    return system;
  }

  /** zbmd's full configuration: {@code overrides} over application.conf over zbmd's defaults. */
  public static Config config(Config overrides) {
    ConfigFactory.invalidateCaches();
    Config user =
        overrides
            .withFallback(ConfigFactory.defaultOverrides())
            .withFallback(ConfigFactory.defaultApplication());
    // Unresolved, so that a substitution in a reference.conf (e.g. ${zbmd.data-dir}) sees the
    // user's value rather than the default it was resolved with.
    Config reference = ConfigFactory.defaultReferenceUnresolved();
    Config merged = user.withFallback(reference).resolve();
    Config layered = user;
    if (merged.getBoolean("zbmd.runtime.tuned-defaults")) {
      layered = layered.withFallback(merged.getConfig("zbmd.pekko-defaults"));
    }
    return layered.withFallback(reference).resolve();
  }

  /** {@code config} with only Pekko's own defaults below it: the baseline zbmd is measured against. */
  public static Config plainPekkoConfig(Config overrides) {
    return config(
        overrides.withFallback(ConfigFactory.parseString("zbmd.runtime.tuned-defaults = off")));
  }
}
