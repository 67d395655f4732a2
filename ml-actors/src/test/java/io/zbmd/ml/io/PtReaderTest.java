package io.zbmd.ml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.io.TorchFiles.View;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading torch.save state_dicts: views of storages (offsets, strides, shared storages), element
 * types, and every way a file can be damaged. The archives are built by hand (see {@link
 * TorchFiles}) in the layout PyTorch writes.
 */
class PtReaderTest {
  @TempDir Path dir;

  @Test
  void honoursStorageOffsetAndStrides() throws IOException {
    float[] storage = new float[12];
    for (int i = 0; i < storage.length; i++) {
      storage[i] = i;
    }
    Path pt =
        archive(
            List.of(
                // t[2:6] of a vector: contiguous, offset 3
                new View("slice", "FloatStorage", "0", 12, 3, new long[] {4}, new long[] {1}),
                // a transposed 3x2 view: non-contiguous, gathered into row-major order
                new View(
                    "transposed", "FloatStorage", "0", 12, 2, new long[] {2, 3}, new long[] {1, 2}),
                // expand(): stride 0 repeats an element
                new View("expanded", "FloatStorage", "0", 12, 5, new long[] {3}, new long[] {0}),
                new View("scalar", "FloatStorage", "0", 12, 11, new long[0], new long[0])),
            Map.of("0", f32(storage)));

    Map<String, HostTensor> t = PtReader.read(pt);
    assertEquals(List.of("slice", "transposed", "expanded", "scalar"), List.copyOf(t.keySet()));
    assertArrayEquals(new float[] {3, 4, 5, 6}, t.get("slice").toFloats());
    assertArrayEquals(new int[] {2, 3}, t.get("transposed").shape());
    assertArrayEquals(new float[] {2, 4, 6, 3, 5, 7}, t.get("transposed").toFloats());
    assertArrayEquals(new float[] {5, 5, 5}, t.get("expanded").toFloats());
    assertArrayEquals(new int[0], t.get("scalar").shape());
    assertArrayEquals(new float[] {11}, t.get("scalar").toFloats());
  }

  @Test
  void readsEveryStorageType() throws IOException {
    ByteBuffer longs =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).putLong(1L << 40);
    ByteBuffer doubles = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1);
    ByteBuffer halves =
        ByteBuffer.allocate(4)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putShort((short) 0x3C00)
            .putShort((short) 0xC000);
    Path pt =
        archive(
            List.of(
                View.contiguous("num_batches_tracked", "LongStorage", "0", 2),
                View.contiguous("d", "DoubleStorage", "1", 1),
                View.contiguous("h", "HalfStorage", "2", 2),
                View.contiguous("b", "BFloat16Storage", "3", 1),
                View.contiguous("mask", "BoolStorage", "4", 3)),
            Map.of(
                "0", longs.array(),
                "1", doubles.array(),
                "2", halves.array(),
                "3", new byte[] {(byte) 0x80, 0x3F},
                "4", new byte[] {1, 0, 1}));
    Map<String, HostTensor> t = PtReader.read(pt);
    assertEquals(HostDType.I64, t.get("num_batches_tracked").dtype());
    assertArrayEquals(new long[] {-3, 1L << 40}, t.get("num_batches_tracked").toLongs());
    assertEquals(HostDType.F64, t.get("d").dtype());
    assertEquals(0.1f, t.get("d").toFloats()[0]);
    assertArrayEquals(new float[] {1, -2}, t.get("h").toFloats());
    assertArrayEquals(new float[] {1}, t.get("b").toFloats());
    assertArrayEquals(new long[] {1, 0, 1}, t.get("mask").toLongs());
  }

  @Test
  void bigEndianArchivesAreSwapped() throws IOException {
    byte[] be =
        ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1.5f).putFloat(-2f).array();
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put(
        "m/data.pkl",
        TorchFiles.stateDictPickle(List.of(View.contiguous("w", "FloatStorage", "0", 2))));
    entries.put("m/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
    entries.put("m/data/0", be);
    assertArrayEquals(
        new float[] {1.5f, -2f},
        PtReader.read(TorchFiles.zip(dir.resolve("be.pt"), entries)).get("w").toFloats());
  }

  @Test
  void parametersUnwrapToTheirTensor() throws IOException {
    // {'w': Parameter(tensor)}: _rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict())
    PickleBytes p = new PickleBytes();
    p.op('}').op('(').string("w").global("torch._utils", "_rebuild_parameter").op('(');
    p.global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(')
        .string("storage")
        .global("torch", "FloatStorage")
        .string("0")
        .string("cpu")
        .integer(2)
        .op('t')
        .op('Q');
    p.integer(0)
        .tuple(2)
        .tuple(1)
        .op(0x89)
        .global("collections", "OrderedDict")
        .op(')')
        .op('R')
        .op('t')
        .op('R');
    p.op(0x88).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
    p.op('u');
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("archive/data.pkl", p.stop());
    entries.put("archive/data/0", f32(new float[] {3, 4}));
    Map<String, HostTensor> t = PtReader.read(TorchFiles.zip(dir.resolve("param.pt"), entries));
    assertArrayEquals(new float[] {3, 4}, t.get("w").toFloats());
  }

  @Test
  void truncatedArchiveIsRejected() throws IOException {
    byte[] whole = Files.readAllBytes(TorchFiles.fixture("mlp.pt"));
    Path cut = dir.resolve("cut.pt");
    Files.write(cut, Arrays.copyOf(whole, whole.length - 100));
    assertMalformed(cut, "not a readable zip archive (truncated, or not a torch.save file)");
    Files.write(cut, new byte[0]);
    assertMalformed(cut, "not a readable zip archive");
  }

  @Test
  void missingStorageEntryIsNamed() throws IOException {
    Map<String, byte[]> entries = TorchFiles.unzip(TorchFiles.fixture("mlp.pt"));
    entries.remove("mlp/data/3");
    assertMalformed(
        TorchFiles.zip(dir.resolve("missing.pt"), entries),
        "storage entry 'mlp/data/3' of tensor 'fc2.bias' is missing from the archive");
  }

  @Test
  void storageWithTheWrongSizeIsRejected() throws IOException {
    Map<String, byte[]> entries = TorchFiles.unzip(TorchFiles.fixture("mlp.pt"));
    entries.put("mlp/data/3", new byte[36]);
    assertMalformed(
        TorchFiles.zip(dir.resolve("short.pt"), entries),
        "storage 'mlp/data/3' holds 36 bytes but the pickle declares 10 elements of F32 (40"
            + " bytes)");
  }

  @Test
  void viewsThatLeaveTheirStorageAreRejected() throws IOException {
    Path pt =
        archive(
            List.of(new View("w", "FloatStorage", "0", 4, 2, new long[] {2, 2}, new long[] {2, 1})),
            Map.of("0", new byte[16]));
    assertMalformed(
        pt,
        "tensor 'w' (shape [2, 2], stride [2, 1], storage_offset 2) reaches element 5 but its"
            + " storage '0' holds 4");
  }

  @Test
  void absurdSizesAreRejectedBeforeAllocating() throws IOException {
    Path pt =
        archive(
            List.of(View.contiguous("w", "FloatStorage", "0", 1_000_000_000_000L)),
            Map.of("0", new byte[16]));
    assertMalformed(pt, "declares 1000000000000 elements of F32, beyond this reader's 2 GiB limit");

    // A string whose length prefix claims 2 GiB in a pickle of a few bytes.
    byte[] forged =
        new PickleBytes()
            .op('X')
            .raw(PickleBytes.le32(Integer.MAX_VALUE))
            .raw(new byte[] {'a'})
            .stop();
    assertMalformed(zipWithPickle(forged), "claims 2147483647 bytes but only");
  }

  @Test
  void onlyStateDictContentIsAccepted() throws IOException {
    byte[] evil =
        new PickleBytes().global("os", "system").string("echo hi").op(0x85).op('R').stop();
    assertMalformed(
        zipWithPickle(evil), "refers to os.system, which is not part of a tensor state_dict");

    byte[] list = new PickleBytes().op(']').stop();
    assertMalformed(zipWithPickle(list), "the pickle holds a ArrayList, not a state_dict");

    byte[] notTensor = new PickleBytes().op('}').string("epoch").integer(3).op('s').stop();
    assertMalformed(
        zipWithPickle(notTensor), "state_dict entry 'epoch' is a Integer, not a tensor");

    byte[] cut =
        Arrays.copyOf(
            TorchFiles.stateDictPickle(List.of(View.contiguous("w", "FloatStorage", "0", 2))), 40);
    assertMalformed(zipWithPickle(cut), "data.pkl is not a loadable state_dict pickle");
  }

  @Test
  void otherFilesAreRecognisedAsSuch() throws IOException {
    Path legacy = dir.resolve("legacy.pt");
    Files.write(legacy, new PickleBytes().integer(1950).stop());
    assertMalformed(legacy, "legacy (pre-1.6) torch.save format");

    Path noPickle = TorchFiles.zip(dir.resolve("other.zip"), Map.of("readme.txt", new byte[3]));
    assertMalformed(noPickle, "no '<archive>/data.pkl' entry");
  }

  private Path archive(List<View> views, Map<String, byte[]> storages) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("archive/data.pkl", TorchFiles.stateDictPickle(views));
    storages.forEach((key, bytes) -> entries.put("archive/data/" + key, bytes));
    entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    return TorchFiles.zip(Files.createTempFile(dir, "state", ".pt"), entries);
  }

  private Path zipWithPickle(byte[] pickle) throws IOException {
    return TorchFiles.zip(
        Files.createTempFile(dir, "pickle", ".pt"), Map.of("archive/data.pkl", pickle));
  }

  private static byte[] f32(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  private static void assertMalformed(Path file, String problem) {
    MalformedModelFileException e =
        assertThrows(MalformedModelFileException.class, () -> PtReader.read(file));
    assertEquals(file.toString(), e.file());
    assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
    assertTrue(e.problem().contains(problem), "expected '" + problem + "' in: " + e.problem());
  }
}
