package io.zbmd.benchmarks.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MessagingBenchmarkTest {
  // Tiny sizes: this checks that the harness works end to end, not how fast anything is.
  private static final Options TINY =
      Options.quick().withRounds(0, 1).withSizes(2_000, 50, 5_000, 5_000, 200);

  @Test
  void reportsEveryFigureForZbmdAndPekko(@TempDir Path dir) throws Exception {
    MessagingReport report = MessagingBenchmark.run(TINY);

    assertEquals(2, report.rounds().size(), "one round per variant");
    for (Figure figure : Figure.values()) {
      FigureSummary summary = report.summary(figure);
      assertTrue(report.value(Variant.ZBMD_NAME, figure) > 0, figure.key());
      assertTrue(report.value(Variant.PEKKO_NAME, figure) > 0, figure.key());
      assertTrue(summary.advantage().get(Variant.ZBMD_NAME) > 0, figure.key());
    }

    ByteArrayOutputStream text = new ByteArrayOutputStream();
    report.print(new PrintStream(text, true, StandardCharsets.UTF_8));
    assertTrue(text.toString(StandardCharsets.UTF_8).contains("ping-pong round trips"));

    Path json = dir.resolve("messaging.json");
    report.writeJson(json);
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("messaging", root.get("benchmark").asText());
    assertEquals(Runtime.getRuntime().availableProcessors(), root.at("/machine/cores").asInt());
    assertEquals(Figure.values().length, root.get("summary").size());
    assertEquals(2, root.get("rounds").size());
    assertTrue(root.at("/summary/0/value/zbmd").asDouble() > 0);
    assertTrue(root.at("/variants/0/settings").size() > 0);
  }

  @Test
  void commandLineAddsCandidateVariants() {
    Options options = MessagingBenchmark.CommandLineArgs.parse(new String[] {
        "--quick", "--rounds", "3", "--variant", "tp50=pekko.actor.default-dispatcher.throughput=50"
    }).options();
    assertEquals(3, options.rounds());
    assertEquals(3, options.variants().size());
    assertEquals(50, options.variants().get(2).config()
        .getInt("pekko.actor.default-dispatcher.throughput"));
  }
}
