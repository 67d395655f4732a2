package io.zbmd.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@link CheckpointStore} on a local file system: one {@code .safetensors} file per checkpoint at
 * {@code <root>/<runId>/step-<step, 12 digits>.safetensors}, readable by PyTorch's {@code
 * safetensors.torch.load_file}.
 *
 * <p>The file holds the weights under their own names (dtype and shape as given), each optimizer
 * buffer {@code <param>.<buffer>} as an F32 tensor {@code optimizer.<param>.<buffer>} (shaped like
 * the parameter when the element counts agree, else 1-D), and in {@code __metadata__}: {@code
 * format = zbmd-checkpoint/1}, {@code step}, {@code epoch}, {@code optimizer}, {@code
 * optimizer.step}, {@code loader.epoch}, {@code loader.batch}, {@code loader.seed}, {@code
 * loader.batch_size}, {@code rng} (a JSON object: where the model's generators stand, e.g. {@code
 * {"drop.masks_drawn": 120}}), and {@code weights.order} / {@code optimizer.order} (JSON arrays of
 * names) so that {@link #read} rebuilds the maps in the order they were written.
 *
 * <p>A write goes to {@code <name>.tmp} in the same directory, is forced to disk, renamed over the
 * final name atomically, and the directory is forced: a crash at any moment leaves either the old
 * file, or the new one, plus at worst a stray {@code .tmp} that {@link #removeTemporaries} deletes.
 *
 * <p>The store holds no mutable state: any number of threads may use it, provided that no two write
 * the same step of the same run at once (they would share one temporary file) and that {@link
 * #removeTemporaries} does not run while the run is being written. Checkpoints are serialized in
 * memory, so one file is limited to 2 GiB.
 *
 * <pre>{@code
 * FileCheckpointStore store = new FileCheckpointStore(Path.of("checkpoints"));
 * StoredCheckpoint saved = store.write("mnist-1", checkpoint);
 * // checkpoints/mnist-1/step-000000000120.safetensors; record `saved` in the journal
 * Checkpoint resumed = store.read(saved);
 * }</pre>
 */
public final class FileCheckpointStore implements CheckpointStore {
  /** The {@code format} metadata value of the files this store writes. */
  public static final String FORMAT = "zbmd-checkpoint/1";

  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String OPTIMIZER_PREFIX = "optimizer.";
  private static final String TMP_SUFFIX = ".tmp";
  // Configured once, never changed: safe to share between threads.
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;

  /**
   * A store keeping each run's checkpoints in {@code root/<runId>}; directories are created on
   * write.
   */
  public FileCheckpointStore(Path root) {
    this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
  }

  /**
   * The directory of run {@code runId}'s checkpoints.
   *
   * @throws IllegalArgumentException if {@code runId} does not match {@code
   *     [A-Za-z0-9][A-Za-z0-9._-]{0,127}}
   */
  public Path directory(String runId) {
    Objects.requireNonNull(runId, "runId");
    // The id becomes a directory name: this pattern rules out "..", "/", "\" and empty names.
    if (!RUN_ID.matcher(runId).matches()) {
      throw new IllegalArgumentException(
          "invalid run id \""
              + runId
              + "\": expected 1 to 128 of [A-Za-z0-9._-], starting with a letter or digit");
    }
    return root.resolve(runId);
  }

  @Override
  public StoredCheckpoint write(String runId, Checkpoint checkpoint) throws IOException {
    Objects.requireNonNull(checkpoint, "checkpoint");
    Path dir = directory(runId);
    Path file =
        dir.resolve(String.format(Locale.ROOT, "step-%012d.safetensors", checkpoint.step()));
    Path tmp = dir.resolve(file.getFileName() + TMP_SUFFIX);
    byte[] bytes = encode(checkpoint);
    String sha256 = sha256(bytes);
    createDirectories(dir);
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        // Data on disk before the rename makes it visible; otherwise a crash could expose an
        // empty or partial file under the final name.
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
    }
    // Makes the rename itself durable.
    syncDirectory(dir);
    return new StoredCheckpoint(
        checkpoint.step(), checkpoint.epoch(), file.toUri().toString(), sha256, bytes.length);
  }

  @Override
  public Checkpoint read(StoredCheckpoint stored) throws CorruptCheckpointException {
    String where = stored.uri();
    Path file = pathOf(stored);
    byte[] bytes;
    try {
      long size = Files.size(file);
      checkSize(where, size, stored.bytes());
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CorruptCheckpointException(where, "missing", e);
    } catch (CorruptCheckpointException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptCheckpointException(where, "unreadable: " + e, e);
    }
    // The file may have changed between size() and reading it.
    checkSize(where, bytes.length, stored.bytes());
    String actual = sha256(bytes);
    if (!actual.equals(stored.sha256())) {
      throw new CorruptCheckpointException(
          where, "corrupt: sha256 is " + actual + " but the journal recorded " + stored.sha256());
    }
    return decode(bytes, stored);
  }

  @Override
  public void delete(StoredCheckpoint stored) throws IOException {
    Path file = pathOf(stored);
    if (Files.deleteIfExists(file)) {
      syncDirectory(file.getParent());
    }
  }

  @Override
  public int removeTemporaries(String runId) throws IOException {
    Path dir = directory(runId);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int removed = 0;
    try (DirectoryStream<Path> tmps = Files.newDirectoryStream(dir, "*" + TMP_SUFFIX)) {
      for (Path tmp : tmps) {
        if (Files.isRegularFile(tmp) && Files.deleteIfExists(tmp)) {
          removed++;
        }
      }
    }
    if (removed > 0) {
      syncDirectory(dir);
    }
    return removed;
  }

  // ---- file content ----

  private static byte[] encode(Checkpoint c) {
    Map<String, HostTensor> tensors = new LinkedHashMap<>(c.weights());
    OptimizerState opt = c.optimizer();
    for (Map.Entry<String, float[]> e : opt.buffers().entrySet()) {
      String name = OPTIMIZER_PREFIX + e.getKey();
      if (tensors.containsKey(name)) {
        throw new IllegalArgumentException(
            "weight \"" + name + "\" collides with the tensor of optimizer buffer " + e.getKey());
      }
      tensors.put(
          name, HostTensor.ofFloats(bufferShape(e.getKey(), e.getValue(), c), e.getValue()));
    }
    LoaderPosition p = c.position();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("step", Long.toString(c.step()));
    meta.put("epoch", Integer.toString(c.epoch()));
    meta.put("optimizer", opt.optimizer());
    meta.put("optimizer.step", Long.toString(opt.step()));
    // The loader's shuffle RNG is fully determined by seed and epoch, so these four values are
    // its whole state: no generator state needs saving.
    meta.put("loader.epoch", Integer.toString(p.epoch()));
    meta.put("loader.batch", Integer.toString(p.batch()));
    meta.put("loader.seed", Long.toString(p.seed()));
    meta.put("loader.batch_size", Integer.toString(p.batchSize()));
    // The loader's shuffle is drawn from its seed and the epoch; the model's own generators
    // (dropout masks) say how far they are.
    meta.put("rng", rngJson(c.rngState()));
    // safetensors headers are sorted by dtype and name: keep the maps' order here.
    meta.put("weights.order", toJson(List.copyOf(c.weights().keySet())));
    meta.put("optimizer.order", toJson(List.copyOf(opt.buffers().keySet())));
    return SafeTensors.toBytes(tensors, meta);
  }

  /** The parameter's shape when it has as many elements as the buffer, so PyTorch sees it so. */
  private static int[] bufferShape(String key, float[] values, Checkpoint c) {
    int dot = key.lastIndexOf('.');
    HostTensor param = dot < 0 ? null : c.weights().get(key.substring(0, dot));
    return param != null && param.numel() == values.length
        ? param.shape()
        : new int[] {values.length};
  }

  private static Checkpoint decode(byte[] bytes, StoredCheckpoint stored)
      throws CorruptCheckpointException {
    String where = stored.uri();
    SafeTensorsFile f;
    try {
      f = SafeTensors.read(bytes, where);
    } catch (MalformedModelFileException e) {
      throw new CorruptCheckpointException(
          where, "corrupt: not a valid safetensors file: " + e.problem(), e);
    }
    Map<String, String> meta = f.metadata();
    String format = meta.get("format");
    if (!FORMAT.equals(format)) {
      throw new CorruptCheckpointException(
          where,
          "not a zbmd checkpoint: its format is "
              + (format == null ? "absent" : "\"" + format + "\"")
              + ", expected \""
              + FORMAT
              + "\"");
    }
    try {
      long step = Long.parseLong(required(meta, "step"));
      int epoch = Integer.parseInt(required(meta, "epoch"));
      if (step != stored.step() || epoch != stored.epoch()) {
        throw new IllegalStateException(
            "it holds step "
                + step
                + ", epoch "
                + epoch
                + " but the journal recorded step "
                + stored.step()
                + ", epoch "
                + stored.epoch());
      }
      Set<String> seen = new HashSet<>();
      Map<String, HostTensor> weights = new LinkedHashMap<>();
      for (String name : orderOf(meta, "weights.order")) {
        weights.put(name, tensor(f, name, seen));
      }
      Map<String, float[]> buffers = new LinkedHashMap<>();
      for (String key : orderOf(meta, "optimizer.order")) {
        HostTensor t = tensor(f, OPTIMIZER_PREFIX + key, seen);
        if (t.dtype() != HostDType.F32) {
          throw new IllegalStateException(
              "optimizer buffer " + key + " is " + t.dtype() + ", expected F32");
        }
        buffers.put(key, floats(t));
      }
      if (seen.size() != f.tensors().size()) {
        Set<String> extra = new HashSet<>(f.tensors().keySet());
        extra.removeAll(seen);
        throw new IllegalStateException("tensors " + extra + " are in neither order list");
      }
      OptimizerState opt =
          new OptimizerState(
              required(meta, "optimizer"),
              Long.parseLong(required(meta, "optimizer.step")),
              buffers);
      LoaderPosition position =
          new LoaderPosition(
              Integer.parseInt(required(meta, "loader.epoch")),
              Integer.parseInt(required(meta, "loader.batch")),
              Long.parseLong(required(meta, "loader.seed")),
              Integer.parseInt(required(meta, "loader.batch_size")));
      // Files written before the model's generators were saved have none: an empty state.
      Map<String, Long> rng = meta.containsKey("rng") ? rngOf(meta.get("rng")) : Map.of();
      return new Checkpoint(step, epoch, weights, opt, position, rng);
    } catch (RuntimeException e) {
      // NumberFormatException, the records' own validation and ours above.
      throw new CorruptCheckpointException(
          where, "corrupt: inconsistent checkpoint metadata: " + e.getMessage(), e);
    }
  }

  private static HostTensor tensor(SafeTensorsFile f, String name, Set<String> seen) {
    HostTensor t = f.tensors().get(name);
    if (t == null) {
      throw new IllegalStateException("tensor \"" + name + "\" is listed but absent");
    }
    if (!seen.add(name)) {
      throw new IllegalStateException("tensor \"" + name + "\" is listed twice");
    }
    return t;
  }

  private static float[] floats(HostTensor t) {
    float[] out = new float[(int) t.numel()];
    // Through the raw int bits, so that every float (NaN payloads included) comes back as written.
    var ints = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    for (int i = 0; i < out.length; i++) {
      out[i] = Float.intBitsToFloat(ints.get(i));
    }
    return out;
  }

  private static String required(Map<String, String> meta, String key) {
    String v = meta.get(key);
    if (v == null) {
      throw new IllegalStateException("metadata \"" + key + "\" is missing");
    }
    return v;
  }

  /**
   * The model weights of a {@code .safetensors} file: of a zbmd checkpoint, only its weights (in
   * the order written, without the optimizer's buffers); of any other file, every tensor. So that
   * {@code zbmd eval} and {@code ModelActor.ImportWeights} take a checkpoint file as they take a
   * PyTorch {@code save_file}.
   *
   * @throws IllegalArgumentException if a checkpoint's list of weights names a missing tensor
   */
  public static Map<String, HostTensor> weightsOf(SafeTensorsFile file) {
    if (!FORMAT.equals(file.metadata().get("format"))) {
      return file.tensors();
    }
    Map<String, HostTensor> weights = new LinkedHashMap<>();
    for (String name : orderOf(file.metadata(), "weights.order")) {
      HostTensor t = file.tensors().get(name);
      if (t == null) {
        throw new IllegalArgumentException("checkpoint lists weight \"" + name + "\" but lacks it");
      }
      weights.put(name, t);
    }
    return weights;
  }

  private static List<String> orderOf(Map<String, String> meta, String key) {
    try {
      return List.of(JSON.readValue(required(meta, key), String[].class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "metadata \"" + key + "\" is not a JSON array of names: " + e.getOriginalMessage(), e);
    }
  }

  private static String rngJson(Map<String, Long> rng) {
    try {
      return JSON.writeValueAsString(rng);
    } catch (JsonProcessingException e) {
      throw new AssertionError("a map of numbers is always JSON", e);
    }
  }

  private static Map<String, Long> rngOf(String json) {
    try {
      Map<String, Long> out = new java.util.LinkedHashMap<>();
      JSON.readTree(json)
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getValue().canConvertToLong() || !e.getValue().isIntegralNumber()) {
                  throw new IllegalStateException(
                      "metadata \"rng\" has a non-integer " + e.getKey() + ": " + e.getValue());
                }
                out.put(e.getKey(), e.getValue().longValue());
              });
      return out;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "metadata \"rng\" is not a JSON object: " + e.getOriginalMessage(), e);
    }
  }

  private static String toJson(List<String> names) {
    try {
      return JSON.writeValueAsString(names);
    } catch (JsonProcessingException e) {
      throw new AssertionError("a list of strings is always JSON", e);
    }
  }

  // ---- files ----

  private static Path pathOf(StoredCheckpoint stored) {
    URI uri = URI.create(stored.uri());
    if (!"file".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException(
          "FileCheckpointStore holds file: URIs only, got " + stored.uri());
    }
    return Path.of(uri);
  }

  private static void checkSize(String where, long size, long recorded)
      throws CorruptCheckpointException {
    if (size < recorded) {
      throw new CorruptCheckpointException(
          where, String.format(Locale.ROOT, "truncated: %,d bytes of %,d", size, recorded));
    }
    if (size > recorded) {
      throw new CorruptCheckpointException(
          where,
          String.format(
              Locale.ROOT, "corrupt: %,d bytes but the journal recorded %,d", size, recorded));
    }
  }

  /** Creates {@code dir} and missing parents, making each new directory entry durable. */
  private static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw new IOException(
            "cannot create checkpoint directory " + dir + ": a file is in the way", e);
      }
      return; // created concurrently
    }
    if (parent != null) {
      syncDirectory(parent);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems (and Windows) refuse to open or force a directory; the rename is still
      // atomic there, only its durability is left to the OS.
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JVM has SHA-256", e);
    }
  }
}
