package io.zbmd.ml.io;

import io.zbmd.ml.io.TorchUnpickler.StorageRef;
import io.zbmd.ml.io.TorchUnpickler.TensorRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a PyTorch state_dict saved with {@code torch.save(model.state_dict(), "model.pt")} (the zip
 * format of PyTorch 1.6 and later): {@code <archive>/data.pkl} is a pickle whose tensors refer by
 * key to storages stored as {@code <archive>/data/<key>}.
 *
 * <p>The pickle is read with a restricted unpickler that knows only what a state_dict contains
 * ({@code OrderedDict}, {@code torch._utils._rebuild_tensor_v2}, parameters and the typed storage
 * classes); anything else is refused by name, so no code a file names ever runs. Each tensor is
 * then cut from its storage honouring {@code storage_offset} and strides (non-contiguous views are
 * gathered into row-major order), after checking that the view fits the storage and the storage
 * entry has exactly the bytes the pickle declares. Every problem is a {@link
 * MalformedModelFileException} naming the file.
 *
 * <pre>{@code
 * Map<String, HostTensor> state = PtReader.read(Path.of("mlp.pt"));
 * HostTensor w = state.get("fc1.weight");   // F32 [128, 784], in the order PyTorch saved
 * float[] values = w.toFloats();
 * }</pre>
 *
 * <p>Not supported (each with a clear message): the legacy pre-1.6 format, quantized and sparse
 * tensors, complex and unsigned 16/32/64-bit types, and checkpoints that nest the state_dict inside
 * another dict together with non-tensor values.
 */
public final class PtReader {
  /** data.pkl of a state_dict is tiny (names and shapes); anything above this is not one. */
  static final long MAX_PICKLE_BYTES = 64L << 20;

  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private PtReader() {}

  /** The tensors of the state_dict in {@code file}, in the order PyTorch saved them. */
  public static Map<String, HostTensor> read(Path file) throws IOException {
    String source = file.toString();
    long fileSize = Files.size(file);
    rejectLegacyFormat(file, source);
    try (ZipFile zip = open(file, source)) {
      String prefix = archivePrefix(zip, source);
      boolean bigEndian = bigEndian(zip, prefix, source);
      byte[] pickle =
          readEntry(zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE_BYTES, fileSize, source);

      Object root;
      try {
        root = new TorchUnpickler(pickle).load();
      } catch (IOException | RuntimeException e) {
        throw new MalformedModelFileException(
            source, prefix + "data.pkl is not a loadable state_dict pickle: " + describe(e), e);
      }
      if (!(root instanceof Map<?, ?> dict)) {
        throw new MalformedModelFileException(
            source,
            "the pickle holds a "
                + TorchUnpickler.typeName(root)
                + ", not a state_dict (a dict of tensors)");
      }

      Map<String, byte[]> storageBytes = new HashMap<>();
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : dict.entrySet()) {
        if (!(e.getKey() instanceof String name)) {
          throw new MalformedModelFileException(
              source, "state_dict key " + e.getKey() + " is not a string");
        }
        if (!(e.getValue() instanceof TensorRef ref)) {
          throw new MalformedModelFileException(
              source,
              "state_dict entry '"
                  + name
                  + "' is a "
                  + TorchUnpickler.typeName(e.getValue())
                  + ", not a tensor (only flat state_dicts of tensors are supported)");
        }
        byte[] storage = storageBytes.get(ref.storage().key());
        if (storage == null) {
          storage = readStorage(zip, prefix, ref.storage(), name, fileSize, bigEndian, source);
          storageBytes.put(ref.storage().key(), storage);
        }
        out.put(name, view(name, ref, storage, source));
      }
      return Collections.unmodifiableMap(out);
    }
  }

  private static void rejectLegacyFormat(Path file, String source) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(2);
    }
    // Pre-1.6 torch.save wrote a bare pickle stream: it starts with the PROTO opcode.
    if (head.length == 2 && (head[0] & 0xFF) == 0x80) {
      throw new MalformedModelFileException(
          source,
          "legacy (pre-1.6) torch.save format, which is not supported: re-save it with a current"
              + " PyTorch or convert it to .safetensors");
    }
  }

  private static ZipFile open(Path file, String source) throws IOException {
    try {
      return new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw new MalformedModelFileException(
          source,
          "not a readable zip archive (truncated, or not a torch.save file): " + e.getMessage(),
          e);
    }
  }

  /** {@code "mlp/"} for an archive holding {@code mlp/data.pkl}. */
  private static String archivePrefix(ZipFile zip, String source)
      throws MalformedModelFileException {
    List<String> found = new ArrayList<>();
    zip.stream()
        .map(ZipEntry::getName)
        .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
        .forEach(found::add);
    if (found.isEmpty()) {
      throw new MalformedModelFileException(
          source, "no '<archive>/data.pkl' entry: not a file written by torch.save");
    }
    if (found.size() > 1) {
      throw new MalformedModelFileException(source, "several data.pkl entries: " + found);
    }
    String pkl = found.get(0);
    return pkl.substring(0, pkl.length() - "data.pkl".length());
  }

  private static boolean bigEndian(ZipFile zip, String prefix, String source) throws IOException {
    ZipEntry entry = zip.getEntry(prefix + "byteorder");
    if (entry == null) {
      return false; // PyTorch before 1.13 wrote no byteorder record and only little-endian data
    }
    String order =
        new String(readEntry(zip, entry, 16, Long.MAX_VALUE, source), StandardCharsets.US_ASCII)
            .trim();
    return switch (order) {
      case "little" -> false;
      case "big" -> true;
      default ->
          throw new MalformedModelFileException(source, "byteorder record says '" + order + "'");
    };
  }

  private static byte[] readStorage(
      ZipFile zip,
      String prefix,
      StorageRef ref,
      String tensor,
      long fileSize,
      boolean bigEndian,
      String source)
      throws IOException {
    String name = prefix + "data/" + ref.key();
    ZipEntry entry = zip.getEntry(name);
    if (entry == null) {
      throw new MalformedModelFileException(
          source,
          "storage entry '" + name + "' of tensor '" + tensor + "' is missing from the archive");
    }
    long expected = ref.numel() * ref.dtype().byteSize();
    if (expected / ref.dtype().byteSize() != ref.numel() || expected > MAX_ARRAY) {
      throw new MalformedModelFileException(
          source,
          "storage '"
              + name
              + "' declares "
              + ref.numel()
              + " elements of "
              + ref.dtype()
              + ", beyond this reader's 2 GiB limit per storage");
    }
    if (entry.getSize() >= 0 && entry.getSize() != expected) {
      throw new MalformedModelFileException(
          source,
          "storage '"
              + name
              + "' holds "
              + entry.getSize()
              + " bytes but the pickle declares "
              + ref.numel()
              + " elements of "
              + ref.dtype()
              + " ("
              + expected
              + " bytes)");
    }
    byte[] bytes = readEntry(zip, entry, expected, fileSize, source);
    if (bytes.length != expected) {
      throw new MalformedModelFileException(
          source,
          "storage '" + name + "' ends after " + bytes.length + " of " + expected + " bytes");
    }
    if (bigEndian) {
      swapBytes(bytes, ref.dtype().byteSize());
    }
    return bytes;
  }

  /**
   * Reads an entry of at most {@code limit} bytes. A stored entry cannot be larger than the file,
   * so a size above that is a lie told by a damaged archive; refusing it saves the allocation.
   */
  private static byte[] readEntry(
      ZipFile zip, ZipEntry entry, long limit, long fileSize, String source) throws IOException {
    long size = entry.getSize();
    if (size > limit || (entry.getMethod() == ZipEntry.STORED && size > fileSize)) {
      throw new MalformedModelFileException(
          source,
          "entry '" + entry.getName() + "' claims " + size + " bytes, more than possible here");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      // readNBytes grows its buffer as data arrives: a truncated entry costs only what it holds.
      byte[] bytes = in.readNBytes((int) Math.min(limit, MAX_ARRAY));
      if (size < 0 && in.read() >= 0) {
        throw new MalformedModelFileException(
            source, "entry '" + entry.getName() + "' exceeds " + limit + " bytes");
      }
      return bytes;
    } catch (ZipException | java.io.EOFException e) {
      throw new MalformedModelFileException(
          source,
          "entry '"
              + entry.getName()
              + "' cannot be read (truncated or corrupt archive): "
              + e.getMessage(),
          e);
    }
  }

  /** Cuts the tensor {@code ref} describes out of its storage, in row-major order. */
  private static HostTensor view(String name, TensorRef ref, byte[] storage, String source)
      throws MalformedModelFileException {
    String where = "tensor '" + name + "'";
    long[] size = ref.size();
    long[] stride = ref.stride();
    if (size.length != stride.length) {
      throw new MalformedModelFileException(
          source,
          where
              + ": size "
              + Arrays.toString(size)
              + " and stride "
              + Arrays.toString(stride)
              + " differ in rank");
    }
    int[] shape = new int[size.length];
    long numel = 1;
    for (int i = 0; i < size.length; i++) {
      if (size[i] < 0 || size[i] > Integer.MAX_VALUE || stride[i] < 0) {
        throw new MalformedModelFileException(
            source,
            where
                + ": invalid size "
                + Arrays.toString(size)
                + " or stride "
                + Arrays.toString(stride));
      }
      shape[i] = (int) size[i];
      numel = multiply(numel, size[i], source, where);
    }
    int elementSize = ref.storage().dtype().byteSize();
    long storageNumel = storage.length / elementSize;
    if (ref.offset() < 0) {
      throw new MalformedModelFileException(
          source, where + ": negative storage_offset " + ref.offset());
    }
    if (numel == 0) {
      return new HostTensor(ref.storage().dtype(), shape, new byte[0]);
    }
    long last = ref.offset();
    for (int i = 0; i < size.length; i++) {
      last += multiply(size[i] - 1, stride[i], source, where);
      if (last < 0) {
        throw new MalformedModelFileException(source, where + ": strides overflow");
      }
    }
    if (last >= storageNumel) {
      throw new MalformedModelFileException(
          source,
          where
              + " (shape "
              + Arrays.toString(size)
              + ", stride "
              + Arrays.toString(stride)
              + ", storage_offset "
              + ref.offset()
              + ") reaches element "
              + last
              + " but its storage '"
              + ref.storage().key()
              + "' holds "
              + storageNumel);
    }
    if (numel * elementSize > MAX_ARRAY) {
      throw new MalformedModelFileException(
          source, where + " exceeds this reader's 2 GiB limit per tensor");
    }
    byte[] out = new byte[(int) (numel * elementSize)];
    if (isContiguous(size, stride)) {
      System.arraycopy(storage, (int) (ref.offset() * elementSize), out, 0, out.length);
    } else {
      gather(storage, (int) ref.offset(), size, stride, elementSize, out);
    }
    return new HostTensor(ref.storage().dtype(), shape, out);
  }

  /** Row-major strides, where dimensions of size 1 may have any stride (PyTorch's rule). */
  private static boolean isContiguous(long[] size, long[] stride) {
    long expected = 1;
    for (int i = size.length - 1; i >= 0; i--) {
      if (size[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= size[i];
    }
    return true;
  }

  /** Copies a strided view element by element, walking the index like an odometer. */
  private static void gather(
      byte[] storage, int offset, long[] size, long[] stride, int elementSize, byte[] out) {
    int rank = size.length;
    int[] index = new int[rank];
    long position = offset;
    for (int o = 0; o < out.length; o += elementSize) {
      System.arraycopy(storage, (int) (position * elementSize), out, o, elementSize);
      for (int d = rank - 1; d >= 0; d--) {
        index[d]++;
        position += stride[d];
        if (index[d] < size[d]) {
          break;
        }
        position -= stride[d] * size[d];
        index[d] = 0;
      }
    }
  }

  private static long multiply(long a, long b, String source, String where)
      throws MalformedModelFileException {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw new MalformedModelFileException(source, where + ": size overflows");
    }
  }

  /** Library exceptions do not always carry a message (a ClassCastException from a bad stack). */
  private static String describe(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static void swapBytes(byte[] bytes, int elementSize) {
    for (int i = 0; i < bytes.length; i += elementSize) {
      for (int a = i, b = i + elementSize - 1; a < b; a++, b--) {
        byte t = bytes[a];
        bytes[a] = bytes[b];
        bytes[b] = t;
      }
    }
  }
}
