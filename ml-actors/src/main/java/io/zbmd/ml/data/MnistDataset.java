package io.zbmd.ml.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The MNIST training and test sets as read from the four standard IDX files ({@code
 * train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code
 * t10k-labels-idx1-ubyte}), each raw or with a {@code .gz} suffix.
 *
 * <pre>{@code
 * MnistDataset mnist = MnistDataset.read(Path.of("data/mnist"));   // any directory of IDX files
 * // or, from a jar that bundles them under io/zbmd/samples/mnist/:
 * MnistDataset bundled =
 *     MnistDataset.fromClassPath(MyApp.class.getClassLoader(), "io/zbmd/samples/mnist");
 * mnist.train().size();   // 60000 for the full set
 * }</pre>
 *
 * @param train the training set
 * @param test the test set
 */
public record MnistDataset(Dataset train, Dataset test) {
  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  public MnistDataset {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
  }

  /**
   * Reads the four files from {@code dir}, preferring the raw file to its {@code .gz} when both
   * exist.
   *
   * @throws NoSuchFileException when a file is missing under both names
   * @throws MalformedDataException when a file is damaged or images and labels disagree
   */
  public static MnistDataset read(Path dir) throws IOException {
    Dataset train = IdxReader.read(find(dir, TRAIN_IMAGES), find(dir, TRAIN_LABELS));
    Dataset test = IdxReader.read(find(dir, TEST_IMAGES), find(dir, TEST_LABELS));
    return new MnistDataset(train, test);
  }

  /**
   * Reads the four files as class-path resources under {@code directory} (for example {@code
   * "io/zbmd/samples/mnist"}), so that a jar can ship its data. The class loader is passed in, so
   * this module needs no compile-time knowledge of the module holding the files.
   *
   * @throws FileNotFoundException when a resource is missing under both names
   */
  public static MnistDataset fromClassPath(ClassLoader loader, String directory)
      throws IOException {
    String dir = directory.endsWith("/") ? directory : directory + "/";
    Dataset train = readResources(loader, dir, TRAIN_IMAGES, TRAIN_LABELS);
    Dataset test = readResources(loader, dir, TEST_IMAGES, TEST_LABELS);
    return new MnistDataset(train, test);
  }

  private static Path find(Path dir, String name) throws NoSuchFileException {
    Path raw = dir.resolve(name);
    if (Files.isRegularFile(raw)) {
      return raw;
    }
    Path gz = dir.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    throw new NoSuchFileException(
        raw.toString(), null, "MNIST file missing (also looked for " + gz.getFileName() + ")");
  }

  private static Dataset readResources(ClassLoader loader, String dir, String images, String labels)
      throws IOException {
    String imagesName = resourceName(loader, dir, images);
    String labelsName = resourceName(loader, dir, labels);
    try (InputStream i = loader.getResourceAsStream(imagesName);
        InputStream l = loader.getResourceAsStream(labelsName)) {
      return IdxReader.read(i, "classpath:" + imagesName, l, "classpath:" + labelsName);
    }
  }

  private static String resourceName(ClassLoader loader, String dir, String name)
      throws FileNotFoundException {
    if (loader.getResource(dir + name) != null) {
      return dir + name;
    }
    if (loader.getResource(dir + name + ".gz") != null) {
      return dir + name + ".gz";
    }
    throw new FileNotFoundException("class-path resource " + dir + name + "[.gz] not found");
  }
}
