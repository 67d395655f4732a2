package io.zbmd.samples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.SafeTensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zbmd train} on a slice of the bundled digits: it trains, summarises and exports. */
class TrainCommandTest {
  @TempDir Path dir;

  private static String run(String... args) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      int rc = ZbmdCli.commandLine().execute(args);
      return rc + "\n" + bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void aRunIsJournaledUnderTheDataDirAndItsIdFindsItAgain() throws Exception {
    String data = dir.resolve("data").toString();
    String[] train = {
      "train", "--epochs", "2", "--limit", "500", "--hidden", "32", "--backend", "cpu",
      "--data-dir", data, "--run-id", "r1", "--checkpoint-every", "5", "--verbose"
    };
    String first = run(train);
    assertTrue(first.startsWith("0\n"), first);
    assertTrue(first.contains("run r1: journal and checkpoints under"), first);
    assertTrue(first.contains("checkpoint saved: step 5 (epoch 0)"), first);
    assertTrue(java.nio.file.Files.exists(dir.resolve("data/journal/zbmd.mv.db")), first);
    assertTrue(java.nio.file.Files.isDirectory(dir.resolve("data/checkpoints/r1")), first);

    // The same id again: completed, nothing to train; --export writes its final weights.
    Path weights = dir.resolve("final.safetensors");
    String[] again = java.util.Arrays.copyOf(train, train.length + 2);
    again[train.length] = "--export";
    again[train.length + 1] = weights.toString();
    String second = run(again);
    assertTrue(second.startsWith("0\n"), second);
    assertTrue(second.contains("run r1 already completed at step 16"), second);
    assertEquals(4, SafeTensors.read(weights).size());

    // Other options under the same id: refused, naming the difference.
    String[] other = train.clone();
    other[2] = "3";
    assertEquals(2, ZbmdCli.commandLine().execute(other));

    // An id that cannot name a directory is refused before anything starts.
    String[] bad = train.clone();
    bad[12] = "../escape";
    assertEquals(2, ZbmdCli.commandLine().execute(bad));
    assertTrue(!java.nio.file.Files.exists(dir.resolve("escape")));

    // A checkpoint file evaluates as a weights file: its optimizer state is left out.
    Path checkpoint = dir.resolve("data/checkpoints/r1/step-000000000016.safetensors");
    String evaluated = run("eval", "--weights", checkpoint.toString(), "--model", "mlp");
    assertTrue(evaluated.startsWith("0\n"), evaluated);

    String runs = run("runs", "--data-dir", data);
    assertTrue(runs.contains("r1  COMPLETED  step 16  epochs 2"), runs);
    assertTrue(runs.contains("checkpoint step 16 (epoch 2)"), runs);
  }

  @Test
  void oneEpochWritesTheSummaryJsonAndTheWeights() throws Exception {
    Path summary = dir.resolve("summary.json");
    Path weights = dir.resolve("mlp.safetensors");
    int rc =
        ZbmdCli.commandLine()
            .execute(
                "train", "--epochs", "1", "--limit", "1000", "--hidden", "64", "--backend", "cpu",
                "--data-dir", dir.resolve("data").toString(),
                "--summary-json", summary.toString(), "--export", weights.toString());
    assertEquals(0, rc);
    JsonNode json = new ObjectMapper().readTree(summary.toFile());
    for (String key :
        List.of(
            "final_train_loss", "test_accuracy", "samples_per_second", "epochs", "steps",
            "recoveries", "backend", "device")) {
      assertTrue(json.has(key), () -> "no " + key + " in " + json);
    }
    assertEquals(1, json.get("epochs").asInt());
    assertEquals(16, json.get("steps").asInt()); // 1000 digits in batches of 64
    assertEquals(0, json.get("recoveries").asInt());
    assertEquals("cpu", json.get("backend").asText());
    assertEquals("cpu:0", json.get("device").asText());
    assertTrue(json.get("test_accuracy").asDouble() > 0.5, json::toString);
    assertTrue(json.get("samples_per_second").asDouble() > 0, json::toString);

    Map<String, HostTensor> exported = SafeTensors.read(weights);
    assertEquals(List.of("fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"),
        exported.keySet().stream().sorted().toList());
    assertArrayEquals(new int[] {64, 784}, exported.get("fc1.weight").shape());

    // zbmd eval loads the exported weights back (hidden size from fc1.weight).
    Path evaluated = dir.resolve("eval.json");
    assertEquals(
        0,
        ZbmdCli.commandLine()
            .execute("eval", "--weights", weights.toString(), "--json", evaluated.toString()));
    JsonNode eval = new ObjectMapper().readTree(evaluated.toFile());
    assertEquals(2000, eval.get("samples").asInt());
    assertTrue(eval.get("test_accuracy").asDouble() > 0.5, eval::toString);
  }

  @Test
  void evalNamesAFileThatDoesNotFitTheModel() throws Exception {
    Path weights = dir.resolve("wrong.safetensors");
    SafeTensors.write(weights, Map.of("fc1.weight", HostTensor.ofFloats(new int[] {2, 784},
        new float[2 * 784])));
    assertTrue(ZbmdCli.commandLine().execute("eval", "--weights", weights.toString()) != 0);
  }

  @Test
  void theCnnTrainsWithSgd() throws Exception {
    Path summary = dir.resolve("cnn.json");
    int rc =
        ZbmdCli.commandLine()
            .execute(
                "train", "--model", "cnn", "--optimizer", "sgd", "--epochs", "1", "--limit", "256",
                "--batch", "32", "--data-dir", dir.resolve("data").toString(),
                "--summary-json", summary.toString());
    assertEquals(0, rc);
    JsonNode json = new ObjectMapper().readTree(summary.toFile());
    assertEquals(8, json.get("steps").asInt());
    assertTrue(Double.isFinite(json.get("final_train_loss").asDouble()), json::toString);
  }
}
