package io.zbmd.samples.mnist;

import io.zbmd.ml.data.MnistDataset;
import java.io.IOException;

/**
 * The 10,000-digit MNIST subset shipped inside the zbmd jar (8,000 training and 2,000 test digits,
 * gzip IDX files under {@code io/zbmd/samples/mnist/}; provenance and checksums in the README.md
 * beside them), so that {@code zbmd train} works on a fresh machine without a download.
 *
 * <pre>{@code
 * MnistDataset mnist = BundledMnist.load();
 * mnist.train().size();   // 8000
 * mnist.test().size();    // 2000
 * }</pre>
 */
public final class BundledMnist {
  /** Class-path directory of the four IDX files. */
  public static final String RESOURCE_DIR = "io/zbmd/samples/mnist";

  private BundledMnist() {}

  /**
   * Reads the bundled subset from the class path (about 25 MB as floats, a fraction of a second).
   */
  public static MnistDataset load() throws IOException {
    return MnistDataset.fromClassPath(BundledMnist.class.getClassLoader(), RESOURCE_DIR);
  }
}
