package io.zbmd.ml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** Writing and reading .safetensors: exact round trips, Python's layout, and damaged files. */
class SafeTensorsTest {
  @TempDir Path dir;

  @Test
  void everyTypeRoundTripsBitForBit() throws IOException {
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put(
        "f32", HostTensor.ofFloats(new int[] {2, 2}, new float[] {1.5f, -0f, Float.NaN, 3e-42f}));
    tensors.put("f64", HostTensor.ofDoubles(new int[] {3}, new double[] {Math.PI, -1, 1e300}));
    tensors.put("i64", HostTensor.ofLongs(new int[] {2}, new long[] {Long.MIN_VALUE, 7}));
    tensors.put("i32", HostTensor.ofInts(new int[] {1, 1}, new int[] {-5}));
    tensors.put("scalar", HostTensor.ofFloats(new int[0], new float[] {42}));
    tensors.put("empty", HostTensor.ofFloats(new int[] {0, 3}, new float[0]));
    for (HostDType t :
        List.of(
            HostDType.F16,
            HostDType.BF16,
            HostDType.I16,
            HostDType.I8,
            HostDType.U8,
            HostDType.BOOL)) {
      byte[] data = new byte[4 * t.byteSize()];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (i * 37 + t.ordinal());
      }
      if (t == HostDType.BOOL) {
        data = new byte[] {0, 1, 1, 0};
      }
      tensors.put(t.name().toLowerCase(), new HostTensor(t, new int[] {4}, data));
    }
    Path file = dir.resolve("all.safetensors");
    SafeTensors.write(file, tensors, Map.of("note", "ü"));

    SafeTensorsFile back = SafeTensors.readFile(file);
    assertEquals(tensors, back.tensors());
    assertEquals(Map.of("note", "ü"), back.metadata());
    assertEquals(back, SafeTensors.read(Files.readAllBytes(file), "in memory"));
  }

  @Test
  void headerIsWhatPythonWrites() {
    float[] values = {0, 1, 2, 3, 4, 5};
    byte[] bytes =
        SafeTensors.toBytes(
            Map.of("attn.0", HostTensor.ofFloats(new int[] {1, 2, 3}, values)), Map.of());
    String header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
    assertEquals(64, header.length(), "already a multiple of 8: no padding");
    assertEquals(header, headerOf(bytes));
    assertEquals(8 + 64 + 24, bytes.length);

    byte[] empty = SafeTensors.toBytes(Map.of(), Map.of("framework", "pt"));
    assertEquals("{\"__metadata__\":{\"framework\":\"pt\"}}     ", headerOf(empty));
    assertEquals("{}      ", headerOf(SafeTensors.toBytes(Map.of(), Map.of())));
  }

  @Test
  void tensorsAreSortedByAlignmentThenName() {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("b", HostTensor.ofFloats(new int[] {1}, new float[] {1}));
    t.put("d", new HostTensor(HostDType.U8, new int[] {1}, new byte[] {9}));
    t.put("a", HostTensor.ofFloats(new int[] {1}, new float[] {2}));
    t.put("c", HostTensor.ofLongs(new int[] {1}, new long[] {3}));
    String header = headerOf(SafeTensors.toBytes(t, Map.of()));
    int c = header.indexOf("\"c\"");
    int a = header.indexOf("\"a\"");
    int b = header.indexOf("\"b\"");
    int d = header.indexOf("\"d\"");
    assertTrue(c < a && a < b && b < d, header);
    assertTrue(
        header.contains("\"c\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}"), header);
  }

  @Test
  void readsTensorsInHeaderOrderWhateverTheirOffsets() throws IOException {
    // The fixture lists tensors in state_dict order, which is not the offset order Python writes.
    Map<String, HostTensor> t =
        SafeTensors.read(
            file(
                "{\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                    + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                floats(1, 2)));
    assertEquals(List.of("z", "a"), List.copyOf(t.keySet()));
    assertArrayEquals(new float[] {2}, t.get("z").toFloats());
    assertArrayEquals(new float[] {1}, t.get("a").toFloats());
  }

  @Test
  void truncatedFileIsRejected() throws IOException {
    byte[] whole = Files.readAllBytes(TorchFiles.fixture("mlp.safetensors"));
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
    assertMalformed(cut, "run past the end of the data");

    Files.write(cut, Arrays.copyOf(whole, 4));
    assertMalformed(cut, "only 4 bytes");
  }

  @Test
  void absurdHeaderLengthIsRejectedBeforeAllocating() throws IOException {
    Path f = dir.resolve("huge.safetensors");
    Files.write(
        f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
    assertMalformed(f, "header length 1099511627776 bytes exceeds the limit");

    Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
    assertMalformed(f, "header length 18446744073709551615 bytes exceeds the limit");

    Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
    assertMalformed(f, "header length 1000 bytes runs past the end of the file (16 bytes)");
  }

  @Test
  void badHeadersAreRejected() throws IOException {
    assertMalformed(file("{\"a\": ", new byte[0]), "header is not valid JSON");
    assertMalformed(file("[1, 2]  ", new byte[0]), "does not start with '{'");
    assertMalformed(file("{\"a\":1}", new byte[0]), "tensor 'a': header entry is not an object");
    assertMalformed(
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            floats(1, 2)),
        "Duplicate field 'a'");
    assertMalformed(
        file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]),
        "tensor 'a': unknown or unsupported dtype \"F8_E4M3\"");
    assertMalformed(
        file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", floats(1)),
        "invalid dimension -1");
    assertMalformed(
        file("{\"__metadata__\":{\"k\":3}}", new byte[0]),
        "__metadata__ value of 'k' is not a string");
  }

  @Test
  void offsetsBeyondTheDataAreRejected() throws IOException {
    assertMalformed(
        file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", floats(1, 2)),
        "tensor 'w': data_offsets [0, 16] run past the end of the data (8 bytes)");
  }

  @Test
  void shapeThatDisagreesWithTheDataIsRejected() throws IOException {
    assertMalformed(
        file(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}",
            floats(1, 2, 3, 4)),
        "tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 16] hold 16");
    assertMalformed(
        file(
            "{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,16]}}",
            floats(1, 2, 3, 4)),
        "needs an overflowing number of bytes");
  }

  @Test
  void overlapsGapsAndUncoveredBytesAreRejected() throws IOException {
    assertMalformed(
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
            floats(1, 2, 3, 4, 5, 6)),
        "tensors 'a' and 'b' overlap");
    assertMalformed(
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
            floats(1, 2, 3)),
        "bytes 4..8 of the data are not covered by any tensor (before 'b')");
    assertMalformed(
        file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1, 2)),
        "4 bytes after the last tensor are not covered");
  }

  @Test
  void writerRefusesTheReservedName() {
    Map<String, HostTensor> t =
        Map.of("__metadata__", HostTensor.ofFloats(new int[] {1}, new float[] {1}));
    assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(t, Map.of()));
  }

  /** A file with this header (padded to 8 bytes as writers do) followed by {@code data}. */
  private Path file(String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    int padded = (h.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded).put(h);
    for (int i = h.length; i < padded; i++) {
      b.put((byte) ' ');
    }
    b.put(data);
    Path f = Files.createTempFile(dir, "case", ".safetensors");
    Files.write(f, b.array());
    return f;
  }

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  private static String headerOf(byte[] file) {
    int n = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return new String(file, 8, n, StandardCharsets.UTF_8);
  }

  private static void assertMalformed(Path file, String problem) {
    MalformedModelFileException e =
        assertThrows(MalformedModelFileException.class, () -> SafeTensors.read(file));
    assertEquals(file.toString(), e.file());
    assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
    assertTrue(e.problem().contains(problem), "expected '" + problem + "' in: " + e.problem());
  }
}
