package io.zbmd.samples.mnist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.LoaderOptions;
import io.zbmd.ml.data.MnistDataset;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The MNIST subset the jar ships: intact, complete, and as its README describes it. */
class BundledMnistTest {
  private static MnistDataset mnist;

  @BeforeAll
  static void load() throws IOException {
    mnist = BundledMnist.load();
  }

  @Test
  void filesAreTheOnesTheReadmeDescribes() throws IOException, NoSuchAlgorithmException {
    Map<String, String> sha256 =
        Map.of(
            "train-images-idx3-ubyte.gz",
                "70d64bb760408d897a795b71355c5868079f6b3a03a6a7c739208b9a1f2fbb3c",
            "train-labels-idx1-ubyte.gz",
                "6788df78485436231507514c733a1b01b4691478cef8ee41523b9ab7146e229d",
            "t10k-images-idx3-ubyte.gz",
                "2b32501d675a5674a0b36097f05954d061e1ac01b724c3b36d017a29c5ed4c81",
            "t10k-labels-idx1-ubyte.gz",
                "83ae02b50eeb8a4148eb61e7136098147d07d400cdb82ffac7d3ddb75bdf73c9");
    for (Map.Entry<String, String> e : sha256.entrySet()) {
      try (InputStream in =
          BundledMnist.class
              .getClassLoader()
              .getResourceAsStream(BundledMnist.RESOURCE_DIR + "/" + e.getKey())) {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
        assertEquals(e.getValue(), HexFormat.of().formatHex(digest), e.getKey());
      }
    }
  }

  @Test
  void holds8000TrainingAnd2000TestDigits() {
    assertEquals(8000, mnist.train().size());
    assertEquals(2000, mnist.test().size());
    assertEquals(28, mnist.train().rows());
    assertEquals(784, mnist.test().features());
    assertArrayEquals(
        new int[] {813, 861, 777, 842, 784, 680, 821, 871, 769, 782}, mnist.train().labelCounts());
    assertArrayEquals(
        new int[] {188, 266, 214, 190, 196, 183, 193, 199, 175, 196}, mnist.test().labelCounts());
  }

  @Test
  void pixelsAreScaledToZeroOne() {
    for (Dataset d : new Dataset[] {mnist.train(), mnist.test()}) {
      float min = Float.MAX_VALUE;
      float max = -Float.MAX_VALUE;
      for (float v : d.images()) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assertEquals(0f, min);
      assertEquals(1f, max);
    }
  }

  @Test
  void feedsALoader() {
    DataLoader loader = new DataLoader(mnist.train(), LoaderOptions.of(64, 1));
    assertEquals(125, loader.batchesPerEpoch());
    Batch b = loader.next();
    assertEquals(64, b.size());
    assertEquals(64 * 784, b.images().length);
  }
}
