package io.zbmd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.io.HostDType;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.MalformedModelFileException;
import io.zbmd.ml.io.SafeTensors;
import io.zbmd.ml.io.SafeTensorsFile;
import io.zbmd.ml.optim.OptimizerState;
import io.zbmd.ml.training.Checkpoint;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a run saves, verifies, replaces and cleans up its checkpoints on disk. */
class FileCheckpointStoreTest {
  private static final String RUN = "mnist-1";

  @TempDir Path root;

  /** Weights in a non-alphabetical order, mixed dtypes, and an Adam state after 120 steps. */
  private static Checkpoint adamCheckpoint(long step) {
    Map<String, HostTensor> weights = new LinkedHashMap<>();
    // Values whose bits a lossy path would change: -0, a subnormal, a NaN with a payload.
    float nanWithPayload = Float.intBitsToFloat(0x7fc00123);
    weights.put(
        "fc2.weight",
        HostTensor.ofFloats(new int[] {2, 3}, new float[] {1.5f, -0f, Float.MIN_VALUE, 3, 4, 5}));
    weights.put(
        "fc1.weight",
        HostTensor.ofFloats(new int[] {3, 2}, new float[] {nanWithPayload, 1, 2, 3, 4, 5}));
    weights.put("fc1.bias", HostTensor.ofFloats(new int[] {3}, new float[] {0.1f, 0.2f, 0.3f}));
    weights.put("bn.num_batches_tracked", HostTensor.ofLongs(new int[] {}, new long[] {120}));
    Map<String, float[]> buffers = new LinkedHashMap<>();
    buffers.put("fc2.weight.exp_avg", new float[] {1e-3f, 2, 3, 4, 5, 6});
    buffers.put("fc2.weight.exp_avg_sq", new float[] {1e-7f, 2, 3, 4, 5, nanWithPayload});
    buffers.put("fc1.weight.exp_avg", new float[] {6, 5, 4, 3, 2, 1});
    buffers.put("fc1.bias.exp_avg", new float[] {-1, -2, -3});
    // No weight of this name: stored 1-D.
    buffers.put("loose.exp_avg", new float[] {7, 8});
    return new Checkpoint(
        step,
        3,
        weights,
        new OptimizerState("Adam", step, buffers),
        new LoaderPosition(3, 17, 42L, 64),
        Map.of("drop1.masks_drawn", 7_000_000_001L, "drop2.masks_drawn", 0L));
  }

  private static void assertSameCheckpoint(Checkpoint expected, Checkpoint actual) {
    assertEquals(expected.step(), actual.step());
    assertEquals(expected.epoch(), actual.epoch());
    assertEquals(expected.position(), actual.position());
    assertEquals(expected.rngState(), actual.rngState(), "the model's generators");
    assertEquals(List.copyOf(expected.weights().keySet()), List.copyOf(actual.weights().keySet()));
    assertEquals(expected.weights(), actual.weights(), "dtype, shape and bytes of every weight");
    assertEquals(expected.optimizer().optimizer(), actual.optimizer().optimizer());
    assertEquals(expected.optimizer().step(), actual.optimizer().step());
    assertEquals(
        List.copyOf(expected.optimizer().buffers().keySet()),
        List.copyOf(actual.optimizer().buffers().keySet()));
    expected
        .optimizer()
        .buffers()
        .forEach(
            (k, v) -> assertArrayEquals(bits(v), bits(actual.optimizer().buffers().get(k)), k));
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static Path pathOf(StoredCheckpoint stored) {
    return Path.of(URI.create(stored.uri()));
  }

  private List<String> filesOf(String runId) throws IOException {
    try (Stream<Path> s = Files.list(root.resolve(runId))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void theWeightsOfACheckpointFileAreItsWeightsOnly() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    Checkpoint saved = adamCheckpoint(120);
    StoredCheckpoint stored = store.write("mnist-1", saved);
    var file = io.zbmd.ml.io.SafeTensors.readFile(Path.of(java.net.URI.create(stored.uri())));
    Map<String, HostTensor> weights = FileCheckpointStore.weightsOf(file);
    assertEquals(List.copyOf(saved.weights().keySet()), List.copyOf(weights.keySet()));
    assertEquals(saved.weights(), weights);
    // A plain safetensors file: every tensor is a weight.
    var plain = new io.zbmd.ml.io.SafeTensorsFile(saved.weights(), Map.of());
    assertEquals(saved.weights(), FileCheckpointStore.weightsOf(plain));
  }

  @Test
  void roundTripIsBitExact() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    Checkpoint saved = adamCheckpoint(120);

    StoredCheckpoint stored = store.write(RUN, saved);

    assertEquals(120, stored.step());
    assertEquals(3, stored.epoch());
    assertEquals(
        root.resolve(RUN).resolve("step-000000000120.safetensors").toUri().toString(),
        stored.uri());
    assertSameCheckpoint(saved, store.read(stored));
  }

  @Test
  void emptyOptimizerStateRoundTrips() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    Checkpoint saved =
        new Checkpoint(
            0,
            0,
            Map.of("w", HostTensor.ofFloats(new int[] {1}, new float[] {2})),
            new OptimizerState("SGD", 0, Map.of()),
            new LoaderPosition(0, 0, 7L, 32));

    Checkpoint read = store.read(store.write(RUN, saved));

    assertTrue(read.optimizer().buffers().isEmpty());
    assertSameCheckpoint(saved, read);
  }

  @Test
  void fileIsPlainSafetensorsWithWeightsUnderTheirNames() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    Checkpoint saved = adamCheckpoint(120);

    SafeTensorsFile file = SafeTensors.readFile(pathOf(store.write(RUN, saved)));

    assertEquals(saved.weights().get("fc1.weight"), file.tensors().get("fc1.weight"));
    assertEquals(
        saved.weights().get("bn.num_batches_tracked"),
        file.tensors().get("bn.num_batches_tracked"));
    HostTensor expAvg = file.tensors().get("optimizer.fc1.weight.exp_avg");
    assertEquals(HostDType.F32, expAvg.dtype());
    assertTrue(expAvg.hasShape(3, 2), "shaped like its parameter: " + expAvg);
    assertTrue(file.tensors().get("optimizer.loose.exp_avg").hasShape(2));
    Map<String, String> meta = file.metadata();
    assertEquals("zbmd-checkpoint/1", meta.get("format"));
    assertEquals("120", meta.get("step"));
    assertEquals("3", meta.get("epoch"));
    assertEquals("Adam", meta.get("optimizer"));
    assertEquals("120", meta.get("optimizer.step"));
    assertEquals("3", meta.get("loader.epoch"));
    assertEquals("17", meta.get("loader.batch"));
    assertEquals("42", meta.get("loader.seed"));
    assertEquals("64", meta.get("loader.batch_size"));
    assertEquals(
        "[\"fc2.weight\",\"fc1.weight\",\"fc1.bias\",\"bn.num_batches_tracked\"]",
        meta.get("weights.order"));
  }

  @Test
  void writeLeavesNoTemporaryAndRecordsTheFilesSha256AndSize() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);

    StoredCheckpoint stored = store.write(RUN, adamCheckpoint(120));

    assertEquals(List.of("step-000000000120.safetensors"), filesOf(RUN));
    byte[] bytes = Files.readAllBytes(pathOf(stored));
    assertEquals(sha256(bytes), stored.sha256());
    assertEquals(bytes.length, stored.bytes());
  }

  @Test
  void flippedByteIsReportedAsSha256Mismatch() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint stored = store.write(RUN, adamCheckpoint(120));
    byte[] bytes = Files.readAllBytes(pathOf(stored));
    bytes[bytes.length - 5] ^= 0x01; // inside the tensor data: still parses, silently wrong
    Files.write(pathOf(stored), bytes);

    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(stored));

    assertEquals(stored.uri(), e.location());
    assertTrue(e.getMessage().contains(stored.uri()), e.getMessage());
    assertTrue(e.getMessage().contains("sha256"), e.getMessage());
    assertTrue(e.getMessage().contains(stored.sha256()), e.getMessage());
  }

  @Test
  void truncatedFileIsReportedAsTruncated() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint stored = store.write(RUN, adamCheckpoint(120));
    try (FileChannel ch = FileChannel.open(pathOf(stored), StandardOpenOption.WRITE)) {
      ch.truncate(100);
    }

    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(stored));

    assertTrue(e.getMessage().contains(stored.uri()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated: 100 bytes of "), e.getMessage());
  }

  @Test
  void missingFileIsReportedAsMissing() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint stored = store.write(RUN, adamCheckpoint(120));
    Files.delete(pathOf(stored));

    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(stored));

    assertEquals("checkpoint " + stored.uri() + " is missing", e.getMessage());
  }

  @Test
  void fileOfAnotherFormatIsRejected() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    // A PyTorch weights file that someone copied where a checkpoint was expected.
    byte[] bytes =
        SafeTensors.toBytes(
            Map.of("w", HostTensor.ofFloats(new int[] {1}, new float[] {1})),
            Map.of("format", "pt"));
    Path file =
        Files.createDirectories(store.directory(RUN)).resolve("step-000000000001.safetensors");
    Files.write(file, bytes);
    StoredCheckpoint stored =
        new StoredCheckpoint(1, 0, file.toUri().toString(), sha256(bytes), bytes.length);

    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(stored));

    assertTrue(e.getMessage().contains(stored.uri()), e.getMessage());
    assertTrue(e.getMessage().contains("format is \"pt\""), e.getMessage());
  }

  @Test
  void unparsableFileIsCorruptWithCause() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    byte[] bytes = "not a safetensors file at all".getBytes();
    Path file =
        Files.createDirectories(store.directory(RUN)).resolve("step-000000000001.safetensors");
    Files.write(file, bytes);
    StoredCheckpoint stored =
        new StoredCheckpoint(1, 0, file.toUri().toString(), sha256(bytes), bytes.length);

    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(stored));

    assertTrue(e.getMessage().contains("not a valid safetensors file"), e.getMessage());
    assertTrue(e.getCause() instanceof MalformedModelFileException);
  }

  @Test
  void invalidRunIdsAreRejected() {
    FileCheckpointStore store = new FileCheckpointStore(root);
    for (String bad : List.of("", "..", "../escape", "a/b", ".hidden", "-x", "a".repeat(129))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> store.write(bad, adamCheckpoint(1)), bad);
      assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
    }
    assertEquals(root.resolve("run_2.b-c"), store.directory("run_2.b-c"));
  }

  @Test
  void storedCheckpointValidatesItsFields() {
    String uri = "file:///tmp/x.safetensors";
    String sha = "a".repeat(64);
    assertThrows(
        IllegalArgumentException.class, () -> new StoredCheckpoint(1, 0, uri, "A".repeat(64), 1));
    assertThrows(IllegalArgumentException.class, () -> new StoredCheckpoint(1, 0, uri, "abc", 1));
    assertThrows(IllegalArgumentException.class, () -> new StoredCheckpoint(-1, 0, uri, sha, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new StoredCheckpoint(1, 0, "x.safetensors", sha, 1));
    assertEquals(uri, new StoredCheckpoint(1, 0, uri, sha, 1).uri());
  }

  @Test
  void removeTemporariesDeletesStaleTmpAndKeepsCheckpoints() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint good = store.write(RUN, adamCheckpoint(120));
    Files.write(store.directory(RUN).resolve("step-000000000140.safetensors.tmp"), new byte[10]);

    assertEquals(1, store.removeTemporaries(RUN));

    assertEquals(List.of("step-000000000120.safetensors"), filesOf(RUN));
    assertSameCheckpoint(adamCheckpoint(120), store.read(good));
    assertEquals(0, store.removeTemporaries(RUN));
    assertEquals(0, store.removeTemporaries("never-written"));
  }

  @Test
  void crashMidWriteLeavesTheSavedCheckpointIntact() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint good = store.write(RUN, adamCheckpoint(120));
    // What a crash leaves: half of the next checkpoint's bytes, and half of a rewrite of step 120,
    // each under the temporary name; neither was renamed into place.
    byte[] next = Files.readAllBytes(pathOf(store.write("scratch", adamCheckpoint(140))));
    Path dir = store.directory(RUN);
    Files.write(
        dir.resolve("step-000000000140.safetensors.tmp"), Arrays.copyOf(next, next.length / 2));
    Files.write(dir.resolve("step-000000000120.safetensors.tmp"), Arrays.copyOf(next, 100));

    assertSameCheckpoint(adamCheckpoint(120), store.read(good));
    assertEquals(2, store.removeTemporaries(RUN));
    assertEquals(List.of("step-000000000120.safetensors"), filesOf(RUN));
    assertSameCheckpoint(adamCheckpoint(120), store.read(good));
  }

  @Test
  void deleteIsIdempotent() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint stored = store.write(RUN, adamCheckpoint(120));

    store.delete(stored);
    store.delete(stored);

    assertFalse(Files.exists(pathOf(stored)));
    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(stored));
    assertEquals("missing", e.problem());
  }

  @Test
  void rewritingAStepReplacesTheFile() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    Checkpoint first = adamCheckpoint(120);
    Map<String, HostTensor> otherWeights = new LinkedHashMap<>(first.weights());
    otherWeights.put("fc1.bias", HostTensor.ofFloats(new int[] {3}, new float[] {9, 9, 9}));
    Checkpoint second =
        new Checkpoint(
            120, 3, otherWeights, first.optimizer(), first.position(), first.rngState());

    StoredCheckpoint a = store.write(RUN, first);
    StoredCheckpoint b = store.write(RUN, second);

    assertEquals(a.uri(), b.uri());
    assertNotEquals(a.sha256(), b.sha256());
    assertEquals(List.of("step-000000000120.safetensors"), filesOf(RUN));
    assertSameCheckpoint(second, store.read(b));
    // The journal entry of the replaced file no longer matches: it is detected, not misread.
    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(a));
    assertTrue(e.getMessage().contains("sha256"), e.getMessage());
  }

  @Test
  void fileOfAnotherStepIsRejected() throws Exception {
    FileCheckpointStore store = new FileCheckpointStore(root);
    StoredCheckpoint s120 = store.write(RUN, adamCheckpoint(120));
    // A journal entry that points at the right bytes but claims another step.
    StoredCheckpoint wrong = new StoredCheckpoint(121, 3, s120.uri(), s120.sha256(), s120.bytes());

    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.read(wrong));

    assertTrue(e.getMessage().contains("holds step 120"), e.getMessage());
  }
}
