package io.zbmd.benchmarks.messaging;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.Zbmd;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;

/**
 * A configuration under test: zbmd's defaults or plain Pekko's, with optional HOCON overrides on
 * top (candidate settings when tuning). Stored as text so that a report says exactly what ran.
 *
 * <pre>{@code
 * Variant lifo = Variant.zbmd("lifo",
 *     "pekko.actor.default-dispatcher.fork-join-executor.task-peeking-mode = LIFO");
 * }</pre>
 *
 * @param name how the report names it
 * @param base whose defaults lie under the overrides
 * @param overrides HOCON laid over the base, empty for none
 */
public record Variant(String name, Base base, String overrides) {
  /** Whose defaults a variant starts from. */
  public enum Base {
    /** {@link Zbmd#create}: zbmd's tuned defaults over Pekko's reference.conf. */
    ZBMD,
    /** {@link ActorSystem#create} with Pekko's reference.conf only. */
    PEKKO
  }

  /** Name of the baseline variant that the advantage column compares with. */
  public static final String PEKKO_NAME = "pekko";

  /** Name of zbmd's default configuration. */
  public static final String ZBMD_NAME = "zbmd";

  // Identical for every variant: keeps shutdown dead letters and startup info off the output.
  private static final String HARNESS =
      "pekko.loglevel = WARNING\npekko.log-dead-letters-during-shutdown = off\n";

  /** zbmd's defaults as shipped. */
  public static Variant zbmd() {
    return new Variant(ZBMD_NAME, Base.ZBMD, "");
  }

  /** Plain Pekko 1.x defaults: the baseline. */
  public static Variant pekko() {
    return new Variant(PEKKO_NAME, Base.PEKKO, "");
  }

  /** zbmd's defaults with {@code overrides} (HOCON) on top. */
  public static Variant zbmd(String name, String overrides) {
    return new Variant(name, Base.ZBMD, overrides);
  }

  /** The full configuration this variant runs with. */
  public Config config() {
    Config over = ConfigFactory.parseString(HARNESS + overrides);
    return base == Base.ZBMD ? Zbmd.config(over) : Zbmd.plainPekkoConfig(over);
  }

  /** Starts a system the way a user of {@link #base} would. */
  public <T> ActorSystem<T> start(Behavior<T> guardian, String systemName) {
    Config over = ConfigFactory.parseString(HARNESS + overrides);
    return base == Base.ZBMD
        ? Zbmd.create(guardian, systemName, over)
        : ActorSystem.create(guardian, systemName, Zbmd.plainPekkoConfig(over));
  }
}
