package io.zbmd.ml.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPOutputStream;

/** Builds IDX files in memory for tests. */
final class IdxFiles {
  private IdxFiles() {}

  /** An images file: magic 0x803, dims (n, rows, cols), then {@code pixels} as given. */
  static byte[] images(int n, int rows, int cols, byte[] pixels) {
    return ByteBuffer.allocate(16 + pixels.length)
        .putInt(IdxReader.IMAGES_MAGIC)
        .putInt(n)
        .putInt(rows)
        .putInt(cols)
        .put(pixels)
        .array();
  }

  /** {@code n} images of {@code rows × cols} whose every pixel is the image's index (mod 256). */
  static byte[] images(int n, int rows, int cols) {
    byte[] pixels = new byte[n * rows * cols];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i / (rows * cols));
    }
    return images(n, rows, cols, pixels);
  }

  /** A labels file: magic 0x801, dim (n), then {@code labels} as given. */
  static byte[] labels(int n, byte[] labels) {
    return ByteBuffer.allocate(8 + labels.length)
        .putInt(IdxReader.LABELS_MAGIC)
        .putInt(n)
        .put(labels)
        .array();
  }

  /** {@code n} labels, label of image i = i mod 10. */
  static byte[] labels(int n) {
    byte[] l = new byte[n];
    for (int i = 0; i < n; i++) {
      l[i] = (byte) (i % 10);
    }
    return labels(n, l);
  }

  static byte[] gzip(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
