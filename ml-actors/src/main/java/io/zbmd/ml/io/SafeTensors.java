package io.zbmd.ml.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (<a
 * href="https://github.com/huggingface/safetensors">huggingface/safetensors</a>): an 8-byte
 * little-endian header length, a JSON header mapping each tensor name to its {@code dtype}, {@code
 * shape} and {@code data_offsets} (plus an optional {@code __metadata__} map of strings), then the
 * tensors' little-endian bytes, back to back.
 *
 * <p>Reading checks what the reference implementation checks: a header of at most 100 MB that fits
 * in the file and is a JSON object, known dtypes, offsets that tile the data region exactly (no
 * gap, no overlap, nothing past its end) and agree with shape × dtype. Every violation is a {@link
 * MalformedModelFileException} naming the file and the problem; sizes are checked before anything
 * is allocated.
 *
 * <p>Writing produces what Python's {@code safetensors.torch.save_file} produces for the same
 * tensors: tensors sorted by dtype alignment (descending) then name, {@code __metadata__} first,
 * compact JSON padded with spaces to a multiple of 8 bytes.
 *
 * <pre>{@code
 * Map<String, HostTensor> weights = SafeTensors.read(Path.of("mlp.safetensors"));
 * HostTensor w = weights.get("fc1.weight");            // F32 [128, 784]
 * SafeTensors.write(Path.of("copy.safetensors"), weights, Map.of("format", "pt"));
 * }</pre>
 */
public final class SafeTensors {
  /** The reference implementation refuses headers above this size; so do we. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final String METADATA_KEY = "__metadata__";
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  // Configured once, never changed: ObjectMapper is then safe to share between threads.
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private SafeTensors() {}

  /** The tensors of {@code file}, in the order of its header. */
  public static Map<String, HostTensor> read(Path file) throws IOException {
    return readFile(file).tensors();
  }

  /** The tensors and metadata of {@code file}. */
  public static SafeTensorsFile readFile(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(new ChannelInput(channel), file.toString());
    }
  }

  /**
   * The tensors and metadata of a safetensors file held in memory.
   *
   * @param source what to call it in error messages (a file name, a URI)
   */
  public static SafeTensorsFile read(byte[] bytes, String source)
      throws MalformedModelFileException {
    try {
      return read(new ArrayInput(bytes), source);
    } catch (MalformedModelFileException e) {
      throw e;
    } catch (IOException e) {
      throw new AssertionError("reading an array cannot fail", e);
    }
  }

  /** Writes {@code tensors} to {@code file} without metadata. */
  public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
    write(file, tensors, Map.of());
  }

  /** Writes {@code tensors} and {@code metadata} to {@code file}, replacing it. */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      write(out, tensors, metadata);
    }
  }

  /** The bytes of a safetensors file holding {@code tensors} and {@code metadata}. */
  public static byte[] toBytes(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(out, tensors, metadata);
    } catch (IOException e) {
      throw new AssertionError("writing to memory cannot fail", e);
    }
    return out.toByteArray();
  }

  /**
   * Writes a safetensors file to {@code out} (left open). Empty {@code metadata} writes no {@code
   * __metadata__} entry, as Python does for {@code metadata=None}.
   */
  public static void write(
      OutputStream out, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    List<Map.Entry<String, HostTensor>> sorted = new ArrayList<>(tensors.entrySet());
    for (Map.Entry<String, HostTensor> e : sorted) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("null tensor name or tensor");
      }
      if (e.getKey().equals(METADATA_KEY)) {
        throw new IllegalArgumentException("\"" + METADATA_KEY + "\" is reserved for metadata");
      }
    }
    // As the reference writer: larger alignment first, then names compared as UTF-8 bytes.
    sorted.sort(
        Comparator.<Map.Entry<String, HostTensor>>comparingInt(e -> -e.getValue().dtype().ordinal())
            .thenComparing((a, b) -> compareUtf8(a.getKey(), b.getKey())));

    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA_KEY);
      // Python keeps metadata in a hash map (no order); sorting keeps our output reproducible.
      new TreeMap<>(metadata).forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : sorted) {
      HostTensor t = e.getValue();
      ObjectNode info = header.putObject(e.getKey());
      info.put("dtype", t.dtype().safetensorsName());
      ArrayNode shape = info.putArray("shape");
      for (int d : t.shape()) {
        shape.add(d);
      }
      info.putArray("data_offsets").add(offset).add(offset + t.byteSize());
      offset += t.byteSize();
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padding = (8 - json.length % 8) % 8;
    byte[] length =
        ByteBuffer.allocate(8)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(json.length + padding)
            .array();
    out.write(length);
    out.write(json);
    for (int i = 0; i < padding; i++) {
      out.write(' ');
    }
    for (Map.Entry<String, HostTensor> e : sorted) {
      out.write(e.getValue().data());
    }
  }

  private static SafeTensorsFile read(Input in, String source) throws IOException {
    long size = in.size();
    if (size < 8) {
      throw malformed(
          source,
          "only " + size + " bytes; a safetensors file starts with 8 bytes of header length");
    }
    byte[] prefix = new byte[8];
    in.read(0, prefix, 8);
    long headerLength = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw malformed(
          source,
          "header length "
              + Long.toUnsignedString(headerLength)
              + " bytes exceeds the limit of "
              + MAX_HEADER_BYTES
              + " (not a safetensors file?)");
    }
    if (headerLength > size - 8) {
      throw malformed(
          source,
          "header length "
              + headerLength
              + " bytes runs past the end of the file ("
              + size
              + " bytes): truncated or not a safetensors file");
    }
    byte[] headerBytes = new byte[(int) headerLength];
    in.read(8, headerBytes, headerBytes.length);
    Header header = parseHeader(headerBytes, source);
    long dataStart = 8 + headerLength;
    List<Entry> entries = validateLayout(header.entries(), size - dataStart, source);

    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (Entry e : entries) {
      byte[] bytes = new byte[(int) (e.end() - e.begin())];
      in.read(dataStart + e.begin(), bytes, bytes.length);
      tensors.put(e.name(), new HostTensor(e.dtype(), e.shape(), bytes));
    }
    return new SafeTensorsFile(tensors, header.metadata());
  }

  private record Entry(String name, HostDType dtype, int[] shape, long begin, long end) {}

  private record Header(List<Entry> entries, Map<String, String> metadata) {}

  private static Header parseHeader(byte[] bytes, String source)
      throws MalformedModelFileException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw malformed(source, "header is not valid UTF-8");
    }
    if (!text.startsWith("{")) {
      throw malformed(source, "header does not start with '{' (not a safetensors file?)");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw malformed(source, "header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw malformed(source, "header is not a JSON object");
    }
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      String name = field.getKey();
      JsonNode node = field.getValue();
      if (name.equals(METADATA_KEY)) {
        if (!node.isObject()) {
          throw malformed(source, METADATA_KEY + " is not an object of strings");
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
          if (!kv.getValue().isTextual()) {
            throw malformed(
                source, METADATA_KEY + " value of '" + kv.getKey() + "' is not a string");
          }
          metadata.put(kv.getKey(), kv.getValue().textValue());
        }
        continue;
      }
      entries.add(parseEntry(name, node, source));
    }
    return new Header(entries, metadata);
  }

  private static Entry parseEntry(String name, JsonNode node, String source)
      throws MalformedModelFileException {
    String where = "tensor '" + name + "'";
    if (!node.isObject()) {
      throw malformed(source, where + ": header entry is not an object");
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw malformed(source, where + ": missing or non-string \"dtype\"");
    }
    HostDType dtype =
        HostDType.fromSafetensorsName(dtypeNode.textValue())
            .orElseThrow(
                () ->
                    malformed(
                        source,
                        where
                            + ": unknown or unsupported dtype \""
                            + dtypeNode.textValue()
                            + "\" (supported: "
                            + Arrays.toString(HostDType.values())
                            + ")"));
    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw malformed(source, where + ": missing or non-array \"shape\"");
    }
    int[] shape = new int[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
        throw malformed(source, where + ": shape " + shapeNode + " has an invalid dimension " + d);
      }
      shape[i] = d.intValue();
    }
    JsonNode offsets = node.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw malformed(source, where + ": \"data_offsets\" is not a pair [begin, end]");
    }
    long[] be = new long[2];
    for (int i = 0; i < 2; i++) {
      JsonNode o = offsets.get(i);
      if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
        throw malformed(source, where + ": invalid data_offsets " + offsets);
      }
      be[i] = o.longValue();
    }
    if (be[1] < be[0]) {
      throw malformed(source, where + ": data_offsets " + offsets + " end before they begin");
    }
    return new Entry(name, dtype, shape, be[0], be[1]);
  }

  /** Entries in header order, once they are known to tile {@code [0, dataLength)} exactly. */
  private static List<Entry> validateLayout(List<Entry> entries, long dataLength, String source)
      throws MalformedModelFileException {
    for (Entry e : entries) {
      String where = "tensor '" + e.name() + "'";
      if (e.end() > dataLength) {
        throw malformed(
            source,
            where
                + ": data_offsets ["
                + e.begin()
                + ", "
                + e.end()
                + "] run past the end of the data ("
                + dataLength
                + " bytes): truncated file?");
      }
      long numel = HostTensor.numel(e.shape());
      long expected = numel < 0 ? -1 : numel * e.dtype().byteSize();
      if (numel < 0
          || expected / e.dtype().byteSize() != numel
          || expected != e.end() - e.begin()) {
        throw malformed(
            source,
            where
                + ": shape "
                + Arrays.toString(e.shape())
                + " of "
                + e.dtype()
                + " needs "
                + (numel < 0 ? "an overflowing number of" : String.valueOf(expected))
                + " bytes but data_offsets ["
                + e.begin()
                + ", "
                + e.end()
                + "] hold "
                + (e.end() - e.begin()));
      }
      if (expected > MAX_ARRAY) {
        throw malformed(
            source, where + ": " + expected + " bytes exceed this reader's 2 GiB limit per tensor");
      }
    }
    List<Entry> byOffset = new ArrayList<>(entries);
    byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long next = 0;
    Entry previous = null;
    for (Entry e : byOffset) {
      if (e.begin() < next) {
        throw malformed(
            source,
            "tensors '"
                + previous.name()
                + "' and '"
                + e.name()
                + "' overlap (data_offsets "
                + previous.begin()
                + ".."
                + previous.end()
                + " and "
                + e.begin()
                + ".."
                + e.end()
                + ")");
      }
      if (e.begin() > next) {
        throw malformed(
            source,
            "bytes "
                + next
                + ".."
                + e.begin()
                + " of the data are not covered by any tensor (before '"
                + e.name()
                + "')");
      }
      next = e.end();
      previous = e;
    }
    if (next != dataLength) {
      throw malformed(
          source,
          (dataLength - next) + " bytes after the last tensor are not covered by any tensor");
    }
    return entries;
  }

  private static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static MalformedModelFileException malformed(String source, String problem) {
    return new MalformedModelFileException(source, problem);
  }

  private static MalformedModelFileException malformed(
      String source, String problem, Throwable cause) {
    return new MalformedModelFileException(source, problem, cause);
  }

  /** Random access to the bytes of a file or an array. */
  private interface Input {
    long size() throws IOException;

    void read(long position, byte[] into, int length) throws IOException;
  }

  private record ChannelInput(FileChannel channel) implements Input {
    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void read(long position, byte[] into, int length) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(into, 0, length);
      while (b.hasRemaining()) {
        if (channel.read(b, position + b.position()) < 0) {
          throw new EOFException("file shrank while being read");
        }
      }
    }
  }

  private record ArrayInput(byte[] bytes) implements Input {
    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public void read(long position, byte[] into, int length) {
      System.arraycopy(bytes, (int) position, into, 0, length);
    }
  }
}
