package io.zbmd.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagsTest {
  @Test
  void tagsAreImmutableLabels() {
    Map<String, String> source = new HashMap<>(Map.of("model", "mnist"));
    Tags tags = Tags.of(source);
    source.put("device", "cuda:0");
    assertEquals(Map.of("model", "mnist"), tags.values());
    assertEquals(
        Map.of("model", "mnist", "device", "cuda:0"), tags.and("device", "cuda:0").values());
    // `and` replaces a label of the same name and leaves the original alone.
    assertEquals(Map.of("model", "resnet"), tags.and("model", "resnet").values());
    assertEquals(Map.of("model", "mnist"), tags.values());
    assertTrue(Tags.empty().values().isEmpty());
  }

  @Test
  void keysMustBePrometheusLabelNames() {
    assertThrows(IllegalArgumentException.class, () -> Tags.of("actor-kind", "x"));
    assertThrows(IllegalArgumentException.class, () -> Tags.of("1st", "x"));
    assertThrows(IllegalArgumentException.class, () -> Tags.of("__name__", "x"));
    assertEquals(Map.of("_ok9", "x"), Tags.of("_ok9", "x").values());
  }

  @Test
  void valuesThatWouldBreakTheScrapeAreRejected() {
    IllegalArgumentException quote =
        assertThrows(IllegalArgumentException.class, () -> Tags.of("model", "say \"hi\""));
    assertTrue(quote.getMessage().contains("[model]"), quote.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tags.of("model", "two\nlines"));
    assertThrows(NullPointerException.class, () -> Tags.of("model", null));
  }
}
