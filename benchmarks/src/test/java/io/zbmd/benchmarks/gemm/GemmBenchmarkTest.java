package io.zbmd.benchmarks.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GemmBenchmarkTest {
  @Test
  void aQuickRunMeasuresEveryPathAndWritesJson(@TempDir Path dir) throws Exception {
    GemmReport report = GemmBenchmark.run(new GemmBenchmark.Options("cpu", List.of(33, 64), true));
    assertEquals(2, report.rows().size());
    for (GemmReport.Row row : report.rows()) {
      assertTrue(row.direct() > 0 && row.actor() > 0 && row.baseline() > 0 && row.maxError() < 1e-5, row.toString());
      assertTrue(row.actorRatio() > 0 && row.backendRatio() > 0);
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    report.print(new PrintStream(text, true));
    assertTrue(text.toString().contains("actor/direct"), text.toString());
    assertTrue(text.toString().contains("direct/openblas"), text.toString());

    Path json = dir.resolve("gemm.json");
    report.writeJson(json);
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("gemm", root.get("benchmark").asText());
    assertEquals(64, root.get("report").get("rows").get(1).get("n").asInt());
  }

  @Test
  void severalGemmsInFlightAreMeasuredToo() throws Exception {
    GemmReport report = GemmBenchmark.run(new GemmBenchmark.Options("cpu", List.of(48), true, 3));
    assertEquals(3, report.inFlight());
    assertTrue(report.rows().get(0).actor() > 0 && report.rows().get(0).maxError() < 1e-5);
  }

  @Test
  void anUnknownBackendIsAClearError() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> GemmBenchmark.run(new GemmBenchmark.Options("nosuch", List.of(8), true)));
    assertTrue(e.getMessage().contains("nosuch"), e.getMessage());
  }
}
