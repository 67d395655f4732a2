package io.zbmd.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.testkit.jvm.ChildJvm;
import io.zbmd.testkit.jvm.ChildJvms;
import io.zbmd.testkit.jvm.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The ring all-reduce across real JVMs on loopback: results, a SIGKILLed rank, a SIGSTOPped one. */
class RingMultiJvmTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int LENGTH = 300_000; // 1.2 MB: several segments per chunk

  @Test
  void threeJvmsEndBitIdenticalWithTheSum() throws Exception {
    try (ChildJvms jvms = ChildJvms.create(Path.of("target/child-jvms/ring-result"))) {
      List<ChildJvm> ranks = startRing(jvms, 3, 3, 60_000);
      for (int i = 0; i < 3; i++) {
        double expected = 0;
        for (int r = 0; r < 3; r++) {
          for (float f : RingRankMain.data(r, i, LENGTH)) {
            expected += f;
          }
        }
        String prefix = "result " + i + " ";
        List<String[]> results = new ArrayList<>();
        for (ChildJvm rank : ranks) {
          results.add(rank.awaitOutput(l -> l.startsWith(prefix), WAIT).split(" "));
        }
        for (String[] r : results) {
          assertEquals(results.get(0)[2], r[2], "every rank ends with the same bits");
          assertEquals(expected, Double.parseDouble(r[3]), 1e-2);
        }
      }
      for (ChildJvm rank : ranks) {
        assertEquals(0, rank.awaitExit(WAIT), rank.tails());
      }
    }
  }

  @Test
  void aSigkilledRankAbortsTheOthersFastWithPeerLost() throws Exception {
    try (ChildJvms jvms = ChildJvms.create(Path.of("target/child-jvms/ring-kill"))) {
      List<ChildJvm> ranks = startRing(jvms, 3, -1, 60_000);
      awaitSteadyState(ranks);
      long killed = System.nanoTime();
      ranks.get(1).kill();
      List<String> aborts = abortsOfSurvivors(ranks);
      long tookMs = (System.nanoTime() - killed) / 1_000_000;
      for (String a : aborts) {
        assertTrue(a.startsWith("aborted PeerLostException"), a);
      }
      assertTrue(aborts.stream().anyMatch(a -> a.startsWith("aborted PeerLostException 1 ")),
          "a survivor names the killed rank: " + aborts);
      // The 60 s deadline did not do it: the reset connection did.
      assertTrue(tookMs < 10_000, "survivors took " + tookMs + " ms to notice");
    }
  }

  @Test
  void aSigstoppedRankTripsTheDeadline() throws Exception {
    try (ChildJvms jvms = ChildJvms.create(Path.of("target/child-jvms/ring-stop"))) {
      List<ChildJvm> ranks = startRing(jvms, 3, -1, 1_500);
      awaitSteadyState(ranks);
      ranks.get(1).pause();
      List<String> aborts = abortsOfSurvivors(ranks);
      assertTrue(aborts.stream().anyMatch(a -> a.startsWith("aborted CollectiveTimeoutException")),
          "a hung peer is caught by the step deadline: " + aborts);
      ranks.get(1).resume();
    }
  }

  private static void awaitSteadyState(List<ChildJvm> ranks) throws Exception {
    for (ChildJvm rank : ranks) {
      rank.awaitOutput(l -> l.startsWith("result 2 "), WAIT);
    }
  }

  /** The abort lines of ranks 0 and 2 (rank 1 is the one a test breaks). */
  private static List<String> abortsOfSurvivors(List<ChildJvm> ranks) throws Exception {
    List<String> aborts = new ArrayList<>();
    for (int r : new int[] {0, 2}) {
      aborts.add(ranks.get(r).awaitOutput(l -> l.startsWith("aborted"), WAIT));
    }
    return aborts;
  }

  private static List<ChildJvm> startRing(ChildJvms jvms, int n, int iterations, int deadlineMs) {
    List<Integer> ports = FreePorts.pick(n);
    String portList = ports.stream().map(String::valueOf).collect(Collectors.joining(","));
    List<ChildJvm> ranks = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      ranks.add(jvms.start("rank-" + r, RingRankMain.class, String.valueOf(r), portList,
          String.valueOf(LENGTH), String.valueOf(iterations), String.valueOf(deadlineMs)));
    }
    return ranks;
  }
}
