package io.zbmd.benchmarks.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zbmd.ml.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class TrainBenchmarkTest {
  /** 200 random 28×28 "digits": enough for the shapes, nothing to learn. */
  private static Dataset synthetic() {
    SplittableRandom rng = new SplittableRandom(5);
    int n = 200;
    float[] images = new float[n * 784];
    int[] labels = new int[n];
    for (int i = 0; i < images.length; i++) {
      images[i] = (float) rng.nextDouble();
    }
    for (int i = 0; i < n; i++) {
      labels[i] = rng.nextInt(10);
    }
    return new Dataset(images, labels, 28, 28);
  }

  @Test
  @Timeout(60)
  void aQuickRunReportsEveryWorkloadWithItsAnchor(@TempDir Path dir) throws Exception {
    TrainBenchmark.Options options = new TrainBenchmark.Options("cpu", 64, 2, 0, 2, 3, 0, 1,
        List.of(TrainBenchmark.Workload.values()));
    TrainReport report = TrainBenchmark.run(options, synthetic());

    assertEquals(3, report.rows().size());
    for (TrainReport.Row row : report.rows()) {
      assertEquals(2, row.rounds().length, row.workload());
      assertEquals(2, row.warmupSteps(), row.workload());
      assertEquals(3, row.stepsPerRound(), row.workload());
      assertTrue(row.samplesPerSecond() > 0, row.workload());
      assertTrue(row.pytorch() > 0, row.workload());
      assertTrue(row.ratio() > 0, row.workload());
      assertTrue(Float.isFinite((float) row.lastLoss()), row.workload());
    }
    assertEquals(83_900, report.rows().get(0).pytorch());
    assertEquals(61_700, report.rows().get(1).pytorch());
    assertEquals(6_300, report.rows().get(2).pytorch());

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    report.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    String text = printed.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("mlp-sgd") && text.contains("mlp-adam") && text.contains("cnn-sgd"), text);
    assertTrue(text.contains("not measured in this run"), text);

    Path json = dir.resolve("train.json");
    report.writeJson(json);
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("train", root.get("benchmark").asText());
    assertEquals(3, root.get("report").get("rows").size());
    assertEquals("cnn-sgd", root.get("report").get("rows").get(2).get("workload").asText());
    assertTrue(root.get("report").get("rows").get(0).get("samplesPerSecond").asDouble() > 0);
  }

  @Test
  void theMedianOfRounds() {
    assertEquals(2.0, TrainBenchmark.median(new double[] {3, 1, 2}));
    assertEquals(2.5, TrainBenchmark.median(new double[] {4, 1, 3, 2}));
  }
}
