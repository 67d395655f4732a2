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
      assertTrue(row.direct() > 0 && row.actor() > 0 && row.openBlas() > 0, row.toString());
      assertTrue(row.actorRatio() > 0 && row.backendRatio() > 0);
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    report.print(new PrintStream(text, true));
    assertTrue(text.toString().contains("actor/direct"), text.toString());

    Path json = dir.resolve("gemm.json");
    report.writeJson(json);
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("gemm", root.get("benchmark").asText());
    assertEquals(64, root.get("report").get("rows").get(1).get("n").asInt());
  }

  @Test
  void anUnknownBackendIsAClearError() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> GemmBenchmark.run(new GemmBenchmark.Options("cuda", List.of(8), true)));
    assertTrue(e.getMessage().contains("cuda"), e.getMessage());
  }
}
