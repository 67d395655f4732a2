package io.zbmd.ml.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX format of MNIST (<a href="http://yann.lecun.com/exdb/mnist/">LeCun et al.</a>): a
 * big-endian header (magic {@code 0x00000803} and dimensions {@code n, rows, cols} for images,
 * magic {@code 0x00000801} and {@code n} for labels) followed by unsigned bytes. A file may be raw
 * or gzip-compressed; compression is recognised by its magic bytes {@code 1f 8b}, not its name.
 *
 * <p>Every file is checked before it is trusted: magic, dimensions that fit in memory, a body
 * exactly as long as the header promises (for gzip, checked while streaming, so a forged count
 * costs only the bytes actually present), and as many labels as images. Problems are {@link
 * MalformedDataException}s naming the file, never an {@link OutOfMemoryError}.
 *
 * <pre>{@code
 * Dataset test = IdxReader.read(
 *     Path.of("mnist/t10k-images-idx3-ubyte.gz"), Path.of("mnist/t10k-labels-idx1-ubyte.gz"));
 * test.size();      // 2000
 * test.features();  // 784
 * }</pre>
 */
public final class IdxReader {
  /** Magic of an IDX file of unsigned bytes with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic of an IDX file of unsigned bytes with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private IdxReader() {}

  /** Reads an images file and its labels file into a {@link Dataset}. */
  public static Dataset read(Path images, Path labels) throws IOException {
    try (InputStream i = Files.newInputStream(images);
        InputStream l = Files.newInputStream(labels)) {
      return read(
          i, images.toString(), Files.size(images), l, labels.toString(), Files.size(labels));
    }
  }

  /**
   * Reads images and labels from streams (class-path resources, downloads). The streams are read to
   * their end and left open.
   *
   * @param imagesSource name of the images stream in error messages
   * @param labelsSource name of the labels stream in error messages
   */
  public static Dataset read(
      InputStream images, String imagesSource, InputStream labels, String labelsSource)
      throws IOException {
    return read(images, imagesSource, -1, labels, labelsSource, -1);
  }

  private static Dataset read(
      InputStream images,
      String imagesSource,
      long imagesLength,
      InputStream labels,
      String labelsSource,
      long labelsLength)
      throws IOException {
    Body img = readBody(images, imagesSource, imagesLength, IMAGES_MAGIC);
    Body lab = readBody(labels, labelsSource, labelsLength, LABELS_MAGIC);
    if (img.dims[0] != lab.dims[0]) {
      throw new MalformedDataException(
          labelsSource,
          "holds "
              + lab.dims[0]
              + " labels but "
              + imagesSource
              + " holds "
              + img.dims[0]
              + " images");
    }
    float[] pixels = new float[img.bytes.length];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (img.bytes[i] & 0xFF) / 255f;
    }
    int[] labelValues = new int[lab.bytes.length];
    for (int i = 0; i < labelValues.length; i++) {
      labelValues[i] = lab.bytes[i] & 0xFF;
    }
    return new Dataset(pixels, labelValues, (int) img.dims[1], (int) img.dims[2]);
  }

  private record Body(long[] dims, byte[] bytes) {}

  /**
   * The dimensions and data of one IDX file.
   *
   * @param length the raw stream's length when known (a file), -1 otherwise
   */
  private static Body readBody(InputStream raw, String source, long length, int magic)
      throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
    buffered.mark(2);
    int b0 = buffered.read();
    int b1 = buffered.read();
    buffered.reset();
    boolean gzip = b0 == 0x1F && b1 == 0x8B;
    try {
      InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
      long known = gzip ? -1 : length;
      int rank = magic & 0xFF;
      // The magic first, so that a labels file passed as images is called that, not "truncated".
      int found = readInt(readHeader(in, source, 0, 4, 4 + 4 * rank), 0);
      if (found != magic) {
        throw new MalformedDataException(source, describeMagic(found, magic));
      }
      byte[] dimBytes = readHeader(in, source, 4, 4 * rank, 4 + 4 * rank);
      byte[] header = new byte[4 + 4 * rank];
      System.arraycopy(dimBytes, 0, header, 4, dimBytes.length);
      long[] dims = unsigned(header, rank);
      long bodyBytes = 1;
      for (int d = 0; d < rank; d++) {
        if (d > 0 && dims[d] == 0) {
          throw new MalformedDataException(source, "invalid dimensions " + Arrays.toString(dims));
        }
        // Each factor is below 2^31 when the product is, so the product cannot overflow a long.
        bodyBytes = dims[d] > MAX_ARRAY ? Long.MAX_VALUE : bodyBytes * dims[d];
        if (bodyBytes > MAX_ARRAY) {
          throw new MalformedDataException(
              source,
              "absurd dimensions "
                  + Arrays.toString(dims)
                  + ": more data than one array holds (2 GiB)");
        }
      }
      if (known >= 0 && known != header.length + bodyBytes) {
        throw new MalformedDataException(
            source,
            (known < header.length + bodyBytes ? "truncated: " : "trailing bytes: ")
                + "dimensions "
                + Arrays.toString(dims)
                + " need "
                + (header.length + bodyBytes)
                + " bytes but the file has "
                + known);
      }
      return new Body(dims, readExactly(in, source, (int) bodyBytes, dims));
    } catch (ZipException | EOFException e) {
      throw new MalformedDataException(
          source, "corrupt or truncated gzip stream: " + e.getMessage(), e);
    }
  }

  /** The next {@code size} bytes of a header of {@code total} bytes, {@code done} already read. */
  private static byte[] readHeader(InputStream in, String source, int done, int size, int total)
      throws IOException {
    byte[] bytes = in.readNBytes(size);
    if (bytes.length < size) {
      throw new MalformedDataException(
          source,
          "truncated header: "
              + (done + bytes.length)
              + " of "
              + total
              + " bytes (not an IDX file?)");
    }
    return bytes;
  }

  /**
   * Reads exactly {@code size} bytes and checks that nothing follows. The buffer grows as data
   * arrives, so a header promising more than the stream holds fails at its end, not at allocation.
   */
  private static byte[] readExactly(InputStream in, String source, int size, long[] dims)
      throws IOException {
    byte[] buffer = new byte[Math.min(size, 1 << 20)];
    int filled = 0;
    while (filled < size) {
      if (filled == buffer.length) {
        buffer = Arrays.copyOf(buffer, (int) Math.min(size, 2L * buffer.length));
      }
      int n = in.read(buffer, filled, buffer.length - filled);
      if (n < 0) {
        throw new MalformedDataException(
            source,
            "truncated: dimensions "
                + Arrays.toString(dims)
                + " need "
                + size
                + " data bytes but the data ends after "
                + filled);
      }
      filled += n;
    }
    if (in.read() >= 0) {
      throw new MalformedDataException(
          source,
          "trailing bytes after the "
              + size
              + " data bytes of dimensions "
              + Arrays.toString(dims));
    }
    return buffer;
  }

  private static String describeMagic(int found, int expected) {
    String hint = "";
    if (found == LABELS_MAGIC) {
      hint = " (this is a labels file)";
    } else if (found == IMAGES_MAGIC) {
      hint = " (this is an images file)";
    }
    return String.format(
        "bad magic 0x%08x%s, expected 0x%08x (IDX %s)",
        found,
        hint,
        expected,
        expected == IMAGES_MAGIC ? "images: u8, 3 dimensions" : "labels: u8, 1 dimension");
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xFF) << 24
        | (b[at + 1] & 0xFF) << 16
        | (b[at + 2] & 0xFF) << 8
        | (b[at + 3] & 0xFF);
  }

  private static long[] unsigned(byte[] header, int rank) {
    long[] out = new long[rank];
    for (int d = 0; d < rank; d++) {
      out[d] = readInt(header, 4 + 4 * d) & 0xFFFFFFFFL;
    }
    return out;
  }
}
