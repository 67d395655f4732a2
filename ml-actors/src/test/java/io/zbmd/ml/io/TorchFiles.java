package io.zbmd.ml.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Builds torch.save-style archives for tests: a state_dict pickle plus storage entries. */
final class TorchFiles {
  private TorchFiles() {}

  /** One entry of a state_dict: a strided view of storage {@code key}. */
  record View(
      String name,
      String storageType,
      String key,
      long storageNumel,
      long offset,
      long[] size,
      long[] stride) {
    static View contiguous(String name, String storageType, String key, long... size) {
      long[] stride = new long[size.length];
      long s = 1;
      long numel = 1;
      for (int i = size.length - 1; i >= 0; i--) {
        stride[i] = s;
        s *= size[i];
        numel *= size[i];
      }
      return new View(name, storageType, key, numel, 0, size, stride);
    }
  }

  /** The data.pkl PyTorch writes for an OrderedDict of these views (protocol 2). */
  static byte[] stateDictPickle(List<View> views) {
    PickleBytes p = new PickleBytes();
    p.global("collections", "OrderedDict").op(')').op('R').op('(');
    for (View v : views) {
      p.string(v.name()).global("torch._utils", "_rebuild_tensor_v2").op('(');
      p.op('(').string("storage").global("torch", v.storageType()).string(v.key()).string("cpu");
      p.integer(v.storageNumel()).op('t').op('Q');
      p.integer(v.offset()).tuple(v.size()).tuple(v.stride()).op(0x89);
      p.global("collections", "OrderedDict").op(')').op('R');
      p.op('t').op('R');
    }
    return p.op('u').stop();
  }

  /** Writes a zip archive with these entries, in order. */
  static Path zip(Path file, Map<String, byte[]> entries) throws IOException {
    try (OutputStream os = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return file;
  }

  /**
   * The entries of a zip archive, in order. Through {@link ZipFile}: PyTorch writes stored entries
   * with data descriptors, which {@code ZipInputStream} cannot read.
   */
  static Map<String, byte[]> unzip(Path file) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        try (InputStream in = zip.getInputStream(e)) {
          entries.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return entries;
  }

  static Path fixture(String name) {
    try {
      return Path.of(TorchFiles.class.getResource("/fixtures/pytorch/mlp/" + name).toURI());
    } catch (Exception e) {
      throw new IllegalStateException("fixture " + name + " missing from the test class path", e);
    }
  }
}
