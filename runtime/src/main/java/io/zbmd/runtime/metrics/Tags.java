package io.zbmd.runtime.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The labels of one time series, such as {@code model="mnist"}. Keys must be Prometheus label names
 * ({@code [a-zA-Z_][a-zA-Z0-9_]*}, not starting with {@code __}); values must not contain {@code "}
 * or line breaks, because Kamon's exporter does not escape them and one such value would break the
 * whole scrape. Keep the set of values small: every distinct combination is a series.
 *
 * <pre>{@code
 * Tags tags = Tags.of("model", "mnist").and("device", "cuda:0");
 * }</pre>
 *
 * @param values the labels, key to value; immutable
 */
public record Tags(Map<String, String> values) {
  private static final Tags EMPTY = new Tags(Map.of());
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** Validates every label and copies the map. */
  public Tags {
    Objects.requireNonNull(values, "values");
    values.forEach(Tags::check);
    values = Map.copyOf(values);
  }

  /** No labels. */
  public static Tags empty() {
    return EMPTY;
  }

  /** One label. */
  public static Tags of(String key, String value) {
    return new Tags(Map.of(key, value));
  }

  /** Two labels. */
  public static Tags of(String key1, String value1, String key2, String value2) {
    return new Tags(Map.of(key1, value1, key2, value2));
  }

  /** The labels of {@code values}. */
  public static Tags of(Map<String, String> values) {
    return new Tags(values);
  }

  /** These labels plus {@code key=value}; a label with the same key is replaced. */
  public Tags and(String key, String value) {
    Map<String, String> more = new HashMap<>(values);
    more.put(key, value);
    return new Tags(more);
  }

  private static void check(String key, String value) {
    if (key == null || !LABEL_NAME.matcher(key).matches() || key.startsWith("__")) {
      throw new IllegalArgumentException(
          "tag key ["
              + key
              + "] is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)");
    }
    if (value == null) {
      throw new IllegalArgumentException("tag [" + key + "] has no value");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\n' || c == '\r') {
        throw new IllegalArgumentException(
            "tag [" + key + "] value [" + value + "] contains a quote or a line break");
      }
    }
  }
}
