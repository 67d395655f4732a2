package io.zbmd.ml.data;

import static io.zbmd.ml.data.IdxFiles.gzip;
import static io.zbmd.ml.data.IdxFiles.images;
import static io.zbmd.ml.data.IdxFiles.labels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IDX reader on small files built by the tests (the real MNIST subset is checked where it is
 * bundled, in the samples module): raw and gzip alike, scaling, and every kind of damage.
 */
class IdxReaderTest {
  @TempDir Path dir;

  @Test
  void readsRawAndGzipAlikeRecognisingGzipByItsMagic() throws IOException {
    byte[] img = images(3, 2, 2, new byte[] {0, (byte) 255, (byte) 128, 1, 2, 2, 2, 2, 9, 9, 9, 9});
    byte[] lab = labels(3, new byte[] {7, 0, (byte) 200});
    Dataset raw = IdxReader.read(write("a-images", img), write("a-labels", lab));
    // gzip content under a name without .gz, raw content under a name with it: content decides
    Dataset gz = IdxReader.read(write("b-images", gzip(img)), write("b-labels.gz", lab));

    assertEquals(raw, gz);
    assertEquals(3, raw.size());
    assertEquals(2, raw.rows());
    assertEquals(4, raw.features());
    assertArrayEquals(new int[] {7, 0, 200}, raw.labels());
    float[] first = new float[4];
    raw.copyImage(0, first, 0);
    assertArrayEquals(new float[] {0, 1, 128 / 255f, 1 / 255f}, first);
  }

  @Test
  void readsAMnistDirectoryWithRawOrGzipFiles() throws IOException {
    write(MnistDataset.TRAIN_IMAGES + ".gz", gzip(images(20, 28, 28)));
    write(MnistDataset.TRAIN_LABELS, labels(20));
    write(MnistDataset.TEST_IMAGES, images(5, 28, 28));
    write(MnistDataset.TEST_LABELS + ".gz", gzip(labels(5)));

    MnistDataset mnist = MnistDataset.read(dir);
    assertEquals(20, mnist.train().size());
    assertEquals(5, mnist.test().size());
    assertEquals(784, mnist.test().features());
    assertArrayEquals(new int[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, mnist.train().labelCounts());

    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.getParent().toUri().toURL()}, null)) {
      assertEquals(mnist, MnistDataset.fromClassPath(loader, dir.getFileName().toString()));
      assertThrows(
          FileNotFoundException.class, () -> MnistDataset.fromClassPath(loader, "nowhere"));
    }

    Files.delete(dir.resolve(MnistDataset.TEST_IMAGES));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> MnistDataset.read(dir));
    assertTrue(e.getMessage().contains(MnistDataset.TEST_IMAGES), e.getMessage());
  }

  @Test
  void truncatedFilesAreRejected() throws IOException {
    byte[] img = images(10, 4, 4);
    Path labels = write("labels", labels(10));
    assertMalformed(
        write("raw", Arrays.copyOf(img, img.length - 5)),
        labels,
        "truncated: dimensions [10, 4, 4] need 176 bytes but the file has 171");
    assertMalformed(
        write("gz-body", gzip(Arrays.copyOf(img, img.length - 5))),
        labels,
        "truncated: dimensions [10, 4, 4] need 160 data bytes but the data ends after 155");
    byte[] gz = gzip(img);
    assertMalformed(
        write("gz-cut", Arrays.copyOf(gz, gz.length - 12)),
        labels,
        "corrupt or truncated gzip stream");
    assertMalformed(write("empty", new byte[0]), labels, "truncated header: 0 of 16 bytes");
  }

  @Test
  void wrongMagicIsRejected() throws IOException {
    Path labels = write("labels", labels(4));
    assertMalformed(
        labels, labels, "bad magic 0x00000801 (this is a labels file), expected 0x00000803");
    byte[] img = images(4, 2, 2);
    img[2] = 0x0D; // 0x00000D03: float data
    assertMalformed(write("floats", img), labels, "bad magic 0x00000d03, expected 0x00000803");
  }

  @Test
  void imagesAndLabelsMustAgree() throws IOException {
    Path images = write("images", images(4, 2, 2));
    Path labels = write("labels", labels(5));
    MalformedDataException e =
        assertThrows(MalformedDataException.class, () -> IdxReader.read(images, labels));
    assertEquals(labels.toString(), e.file());
    assertEquals("holds 5 labels but " + images + " holds 4 images", e.problem());
  }

  @Test
  void absurdDimensionsFailWithoutExhaustingMemory() throws IOException {
    Path labels = write("labels", labels(2));
    byte[] billion =
        ByteBuffer.allocate(16)
            .putInt(IdxReader.IMAGES_MAGIC)
            .putInt(1_000_000_000)
            .putInt(28)
            .putInt(28)
            .array();
    assertMalformed(write("billion", billion), labels, "absurd dimensions [1000000000, 28, 28]");
    byte[] unsigned =
        ByteBuffer.allocate(16)
            .putInt(IdxReader.IMAGES_MAGIC)
            .putInt(-1)
            .putInt(1)
            .putInt(1)
            .array();
    assertMalformed(
        write("unsigned", gzip(unsigned)), labels, "absurd dimensions [4294967295, 1, 1]");

    // 10^9 labels fit in an array: the reader must still stop at the data actually present.
    Path images = write("images", images(2, 1, 1));
    byte[] manyLabels =
        ByteBuffer.allocate(8 + 2).putInt(IdxReader.LABELS_MAGIC).putInt(1_000_000_000).array();
    MalformedDataException raw =
        assertThrows(
            MalformedDataException.class, () -> IdxReader.read(images, write("many", manyLabels)));
    assertTrue(raw.problem().contains("need 1000000008 bytes but the file has 10"), raw.problem());
    MalformedDataException gz =
        assertThrows(
            MalformedDataException.class,
            () -> IdxReader.read(images, write("many.gz", gzip(manyLabels))));
    assertTrue(
        gz.problem().contains("need 1000000000 data bytes but the data ends after 2"),
        gz.problem());
  }

  @Test
  void trailingBytesAreRejected() throws IOException {
    byte[] img = Arrays.copyOf(images(2, 2, 2), 16 + 8 + 3);
    Path labels = write("labels", labels(2));
    assertMalformed(write("raw", img), labels, "trailing bytes");
    assertMalformed(write("gz", gzip(img)), labels, "trailing bytes after the 8 data bytes");
  }

  private Path write(String name, byte[] content) throws IOException {
    return Files.write(dir.resolve(name), content);
  }

  private static void assertMalformed(Path images, Path labels, String problem) {
    MalformedDataException e =
        assertThrows(MalformedDataException.class, () -> IdxReader.read(images, labels));
    assertEquals(images.toString(), e.file());
    assertTrue(e.getMessage().startsWith(images + ": "), e.getMessage());
    assertTrue(e.problem().contains(problem), "expected '" + problem + "' in: " + e.problem());
  }
}
