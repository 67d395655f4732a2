package io.zbmd.ml.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The loader: seeded per-epoch shuffles, batching, and positions that resume exactly. */
class DataLoaderTest {
  /**
   * 103 samples of 2 values; sample i holds (i, -i) and label i % 10, so batches reveal their
   * samples.
   */
  private static final Dataset DATA = dataset(103);

  @Test
  void sameSeedSameBatches() {
    DataLoader a = new DataLoader(DATA, LoaderOptions.of(10, 42));
    DataLoader b = new DataLoader(DATA, LoaderOptions.of(10, 42));
    for (int i = 0; i < 3 * a.batchesPerEpoch(); i++) {
      assertEquals(a.next(), b.next());
    }
  }

  @Test
  void everyEpochIsAPermutationAndEpochsDiffer() {
    DataLoader loader = new DataLoader(DATA, LoaderOptions.of(10, 42));
    assertEquals(11, loader.batchesPerEpoch());
    List<int[]> orders = new ArrayList<>();
    for (int e = 0; e < 4; e++) {
      List<Integer> seen = new ArrayList<>();
      for (Batch b : loader.epoch(e)) {
        assertEquals(e, b.epoch());
        for (int k = 0; k < b.size(); k++) {
          seen.add((int) b.images()[2 * k]);
          assertEquals(seen.get(seen.size() - 1) % 10, b.labels()[k]);
        }
      }
      assertArrayEquals(loader.order(e), seen.stream().mapToInt(Integer::intValue).toArray());
      int[] sorted = loader.order(e);
      Arrays.sort(sorted);
      assertArrayEquals(identity(103), sorted, "epoch " + e + " visits every sample once");
      orders.add(loader.order(e));
    }
    for (int i = 0; i < orders.size(); i++) {
      for (int j = i + 1; j < orders.size(); j++) {
        assertFalse(Arrays.equals(orders.get(i), orders.get(j)), "epochs " + i + " and " + j);
      }
    }
    assertFalse(
        Arrays.equals(orders.get(0), new DataLoader(DATA, LoaderOptions.of(10, 43)).order(0)));
  }

  @Test
  void theOrderDependsOnSeedAndEpochOnly() {
    // Pinned: a checkpoint taken with one build must resume with the same batches in the next.
    DataLoader loader = new DataLoader(dataset(10), LoaderOptions.of(4, 42));
    assertArrayEquals(new int[] {8, 5, 9, 3, 7, 2, 6, 1, 0, 4}, loader.order(0));
    assertArrayEquals(new int[] {1, 5, 6, 9, 8, 3, 7, 0, 4, 2}, loader.order(1));

    DataLoader walked = new DataLoader(DATA, LoaderOptions.of(10, 7));
    for (int i = 0; i < 3 * walked.batchesPerEpoch() + 4; i++) {
      walked.next();
    }
    DataLoader fresh = new DataLoader(DATA, LoaderOptions.of(10, 7));
    assertEquals(fresh.batch(3, 4), walked.next());
  }

  @Test
  void positionRestoredMidEpochContinuesIdentically() {
    DataLoader original = new DataLoader(DATA, LoaderOptions.of(8, 2024));
    for (Batch b : original.restOfEpoch()) {
      assertEquals(0, b.epoch());
    }
    assertEquals(new LoaderPosition(1, 0, 2024, 8), original.position());
    for (int i = 0; i < 5; i++) {
      original.next();
    }
    LoaderPosition saved = original.position();
    assertEquals(new LoaderPosition(1, 5, 2024, 8), saved);

    List<Batch> expected = new ArrayList<>();
    original.restOfEpoch().forEach(expected::add);
    expected.add(original.next());

    DataLoader resumed = new DataLoader(DATA, LoaderOptions.of(8, 2024));
    resumed.seek(saved);
    List<Batch> actual = new ArrayList<>();
    resumed.restOfEpoch().forEach(actual::add);
    actual.add(resumed.next());

    assertEquals(13 - 5 + 1, actual.size());
    assertEquals(expected, actual);
    assertEquals(5, actual.get(0).index());
    assertEquals(new LoaderPosition(2, 1, 2024, 8), resumed.position());
  }

  @Test
  void positionsOnlyFitTheirLoader() {
    DataLoader loader = new DataLoader(DATA, LoaderOptions.of(8, 1));
    assertThrows(IllegalArgumentException.class, () -> loader.seek(new LoaderPosition(0, 0, 2, 8)));
    assertThrows(
        IllegalArgumentException.class, () -> loader.seek(new LoaderPosition(0, 0, 1, 16)));
    assertThrows(
        IllegalArgumentException.class, () -> loader.seek(new LoaderPosition(0, 13, 1, 8)));
  }

  @Test
  void lastPartialBatchIsKeptOrDropped() {
    DataLoader keep = new DataLoader(DATA, LoaderOptions.of(10, 3));
    DataLoader drop = new DataLoader(DATA, LoaderOptions.of(10, 3).withDropLast(true));
    assertEquals(11, keep.batchesPerEpoch());
    assertEquals(3, keep.batch(0, 10).size());
    assertEquals(10, drop.batchesPerEpoch());
    assertEquals(drop.batch(2, 9), keep.batch(2, 9));
    assertThrows(
        IllegalArgumentException.class,
        () -> new DataLoader(DATA, LoaderOptions.of(200, 3).withDropLast(true)));
  }

  @Test
  void unshuffledLoaderKeepsTheDatasetOrder() {
    DataLoader loader = new DataLoader(DATA, LoaderOptions.of(10, 3).withShuffle(false));
    assertArrayEquals(identity(103), loader.order(5));
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, loader.next().labels());
  }

  @Test
  void microBatchesCoverTheBatchExactly() {
    Batch b = new DataLoader(DATA, LoaderOptions.of(10, 9)).batch(1, 4);
    List<Batch> parts = b.split(3);
    assertEquals(List.of(4, 3, 3), parts.stream().map(Batch::size).toList());
    float[] images = new float[0];
    int[] labels = new int[0];
    for (Batch p : parts) {
      assertEquals(1, p.epoch());
      assertEquals(4, p.index());
      images = concat(images, p.images());
      labels = concat(labels, p.labels());
    }
    assertArrayEquals(b.images(), images);
    assertArrayEquals(b.labels(), labels);

    assertEquals(List.of(b), b.split(1));
    assertEquals(List.of(4, 3, 3), b.microBatches(4).stream().map(Batch::size).toList());
    assertEquals(List.of(5, 5), b.microBatches(5).stream().map(Batch::size).toList());
    assertEquals(10, b.split(10).size());
    assertThrows(IllegalArgumentException.class, () -> b.split(11));
    assertThrows(IllegalArgumentException.class, () -> b.split(0));
    assertNotEquals(b, parts.get(0));
  }

  private static Dataset dataset(int n) {
    float[] images = new float[2 * n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      images[2 * i] = i;
      images[2 * i + 1] = -i;
      labels[i] = i % 10;
    }
    return new Dataset(images, labels, 1, 2);
  }

  private static int[] identity(int n) {
    int[] a = new int[n];
    Arrays.setAll(a, i -> i);
    return a;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
