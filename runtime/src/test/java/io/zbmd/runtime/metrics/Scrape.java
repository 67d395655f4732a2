package io.zbmd.runtime.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A parsed Prometheus text exposition, and the helpers the metrics tests share. */
final class Scrape {
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  private final String text;

  private Scrape(String text) {
    this.text = text;
  }

  static Scrape of(String text) {
    return new Scrape(text);
  }

  /**
   * zbmd's configuration with a short tick, so that a scrape sees new values within ~100 ms, and
   * {@code extra} on top.
   */
  static Config config(String extra) {
    return Zbmd.config(
        ConfigFactory.parseString(extra)
            .withFallback(ConfigFactory.parseString("zbmd.metrics.tick-interval = 100ms")));
  }

  /** Polls {@code source} until its scrape satisfies {@code until}, for at most 10 seconds. */
  static Scrape await(Supplier<String> source, Predicate<Scrape> until) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    Scrape last = of(source.get());
    while (!until.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "scrape did not reach the expected state in " + PATIENCE + ":\n" + last);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      last = of(source.get());
    }
    return last;
  }

  /** The value of the sample {@code name} whose labels include all of {@code labels}. */
  OptionalDouble value(String name, Map<String, String> labels) {
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String sample = line.substring(0, brace >= 0 ? brace : space);
      if (!sample.equals(name)) {
        continue;
      }
      Map<String, String> found = new HashMap<>();
      if (brace >= 0) {
        Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}')));
        while (m.find()) {
          found.put(m.group(1), m.group(2));
        }
      }
      if (found.entrySet().containsAll(labels.entrySet())) {
        return OptionalDouble.of(Double.parseDouble(line.substring(space + 1)));
      }
    }
    return OptionalDouble.empty();
  }

  /** Whether the sample {@code name} with {@code labels} has the value {@code expected}. */
  boolean has(String name, Map<String, String> labels, double expected) {
    OptionalDouble v = value(name, labels);
    return v.isPresent() && v.getAsDouble() == expected;
  }

  @Override
  public String toString() {
    return text;
  }
}
