package io.zbmd.benchmarks.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

class AllReduceBenchmarkTest {
  @Test
  void aSmallRunMeasuresTheRingAndTheRawBaseline(@TempDir Path dir) throws Exception {
    AllReduceReport report = AllReduceBenchmark.run(new AllReduceBenchmark.Options(List.of(2),
        4, 2));
    assertEquals(1, report.rows().size());
    AllReduceReport.Row row = report.rows().get(0);
    assertTrue(row.busGbps() > 0 && report.rawPairGbps() > 0 && row.rawLinksGbps() > 0,
        row.toString());
    assertEquals(row.algGbps(), row.busGbps(), 1e-9, "at N=2 bus and algorithm bandwidth agree");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    report.print(new PrintStream(text, true));
    assertTrue(text.toString().contains("busbw"), text.toString());

    Path json = dir.resolve("allreduce.json");
    report.writeJson(json);
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("allreduce", root.get("benchmark").asText());
    assertEquals(2, root.get("report").get("rows").get(0).get("nodes").asInt());
  }

  @Test
  void badOptionsNameTheOption() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new AllReduceBenchmark.Options(List.of(1), 4, 1));
    assertTrue(e.getMessage().contains("--nodes"), e.getMessage());
  }
}
