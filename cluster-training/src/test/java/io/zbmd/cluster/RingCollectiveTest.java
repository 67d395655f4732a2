package io.zbmd.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The ring all-reduce with several ranks in one JVM over loopback TCP. */
class RingCollectiveTest {
  // Small segments so that even short arrays cross many segments and pipeline.
  private static final DataPlaneSettings SETTINGS =
      new DataPlaneSettings(4096, 2, Duration.ofSeconds(20), Duration.ofSeconds(10));

  @Test
  void everyRankEndsWithTheSameBitsAndTheSum() throws Exception {
    for (int n : new int[] {1, 2, 3, 4}) {
      try (LocalRing ring = LocalRing.form(n, SETTINGS)) {
        // Lengths below n (empty chunks), not divisible by n, and across many segments.
        for (int length : new int[] {0, 1, n + 1, 1000, 12_347}) {
          List<float[]> data = randomArrays(n, length, 31L * n + length);
          double[] expected = sumInDouble(data, length);
          join(ring.allReduce(data));
          for (int r = 1; r < n; r++) {
            assertArrayEquals(data.get(0), data.get(r), "rank " + r + " differs, n=" + n);
          }
          for (int i = 0; i < length; i++) {
            assertEquals(expected[i], data.get(0)[i], 1e-4, "element " + i + ", n=" + n);
          }
        }
      }
    }
  }

  @Test
  void aRangeLeavesTheRestOfTheArrayAlone() throws Exception {
    try (LocalRing ring = LocalRing.form(3, SETTINGS)) {
      List<CompletableFuture<Void>> calls = new ArrayList<>();
      List<float[]> data = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        float[] d = new float[10];
        java.util.Arrays.fill(d, r + 1);
        data.add(d);
        RingCollective rank = ring.ranks.get(r);
        calls.add(CompletableFuture.runAsync(() -> rank.allReduceSum(d, 2, 5)));
      }
      join(calls);
      float[] expected = {1, 1, 6, 6, 6, 6, 6, 1, 1, 1};
      assertArrayEquals(expected, data.get(0));
      assertThrows(IllegalArgumentException.class,
          () -> ring.ranks.get(0).allReduceSum(new float[4], 2, 3));
    }
  }

  @Test
  void aRankThatNeverCallsTripsTheDeadline() throws Exception {
    DataPlaneSettings shortDeadline = SETTINGS.withStepDeadline(Duration.ofMillis(500));
    try (LocalRing ring = LocalRing.form(3, shortDeadline)) {
      List<CompletableFuture<Void>> calls = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        RingCollective rank = ring.ranks.get(r);
        calls.add(CompletableFuture.runAsync(() -> rank.allReduceSum(new float[50_000], 0,
            50_000)));
      }
      for (CompletableFuture<Void> c : calls) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> c.get(10, TimeUnit.SECONDS));
        // Rank 1 waits on rank 2 and times out; rank 0 may see rank 1 close its links first.
        assertInstanceOf(CollectiveException.class, e.getCause());
      }
      CollectiveException first = assertThrows(CollectiveException.class,
          () -> ring.ranks.get(1).allReduceSum(new float[1], 0, 1));
      assertTrue(first.getMessage().contains("unusable"), first.getMessage());
    }
    try (LocalRing ring = LocalRing.form(2, shortDeadline)) {
      CollectiveTimeoutException e = assertThrows(CollectiveTimeoutException.class,
          () -> ring.ranks.get(0).allReduceSum(new float[100], 0, 100));
      assertEquals(Duration.ofMillis(500), e.deadline());
      assertTrue(e.getMessage().contains("step deadline"), e.getMessage());
    }
  }

  @Test
  void aClosedPeerAbortsTheOthersFastWithItsRank() throws Exception {
    try (LocalRing ring = LocalRing.form(3, SETTINGS)) {
      ring.ranks.get(2).close();
      long start = System.nanoTime();
      // Rank 1's successor is the closed rank 2; rank 0's predecessor is rank 2.
      PeerLostException e = assertThrows(PeerLostException.class,
          () -> ring.ranks.get(1).allReduceSum(new float[100_000], 0, 100_000));
      assertEquals(2, e.peerRank(), e.getMessage());
      assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5),
          "a broken connection must abort long before the 20 s deadline");
    }
  }

  @Test
  void settingsComeFromReferenceConfAndBadValuesNameTheirKey() {
    DataPlaneSettings s = DataPlaneSettings.fromConfig(ConfigFactory.load());
    assertEquals(1 << 20, s.segmentBytes());
    assertEquals(2, s.segmentsInFlight());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DataPlaneSettings.fromConfig(ConfigFactory
            .parseString("zbmd.cluster.data-plane.segment-bytes = 6")
            .withFallback(ConfigFactory.load())));
    assertTrue(e.getMessage().contains("zbmd.cluster.data-plane.segment-bytes"), e.getMessage());
  }

  static List<float[]> randomArrays(int n, int length, long seed) {
    Random random = new Random(seed);
    List<float[]> data = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      float[] d = new float[length];
      for (int i = 0; i < length; i++) {
        d[i] = (float) random.nextGaussian();
      }
      data.add(d);
    }
    return data;
  }

  private static double[] sumInDouble(List<float[]> data, int length) {
    double[] sum = new double[length];
    for (float[] d : data) {
      for (int i = 0; i < length; i++) {
        sum[i] += d[i];
      }
    }
    return sum;
  }

  private static void join(List<CompletableFuture<Void>> calls) throws Exception {
    for (CompletableFuture<Void> c : calls) {
      c.get(30, TimeUnit.SECONDS);
    }
  }
}
