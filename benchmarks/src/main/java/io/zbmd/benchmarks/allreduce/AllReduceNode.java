package io.zbmd.benchmarks.allreduce;

import io.zbmd.cluster.Collective;
import io.zbmd.cluster.DataPlaneSettings;
import io.zbmd.cluster.RingCollective;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One node of {@link AllReduceBenchmark}, in its own JVM. Arguments: rank, comma-separated ports
 * (rank order), float count, warm-up rounds, timed rounds, segment bytes. Prints {@code round <i>
 * <nanos>} per timed all-reduce, then {@code done}.
 */
public final class AllReduceNode {
  private AllReduceNode() {}

  public static void main(String[] args) {
    int rank = Integer.parseInt(args[0]);
    List<InetSocketAddress> ring = new ArrayList<>();
    for (String p : args[1].split(",")) {
      ring.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(p)));
    }
    int floats = Integer.parseInt(args[2]);
    int warmup = Integer.parseInt(args[3]);
    int rounds = Integer.parseInt(args[4]);
    DataPlaneSettings settings = new DataPlaneSettings(Integer.parseInt(args[5]), 2,
        Duration.ofMinutes(2), Duration.ofSeconds(60));
    float[] data = new float[floats];
    try (Collective c = RingCollective.bind(ring.get(rank)).join(rank, ring, settings)) {
      for (int i = 0; i < warmup + rounds; i++) {
        // Ones, summed N-fold per round: no denormals, no overflow over a few dozen rounds.
        Arrays.fill(data, 1f);
        long start = System.nanoTime();
        c.allReduceSum(data, 0, floats);
        long took = System.nanoTime() - start;
        if (data[floats - 1] != ring.size()) {
          throw new IllegalStateException("rank " + rank + " got " + data[floats - 1]
              + " where " + ring.size() + " was due");
        }
        if (i >= warmup) {
          System.out.println("round " + (i - warmup) + " " + took);
        }
      }
    }
    System.out.println("done");
  }
}
