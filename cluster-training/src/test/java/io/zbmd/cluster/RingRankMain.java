package io.zbmd.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One rank of a ring in its own JVM, for the multi-JVM tests. Arguments: rank, comma-separated
 * ports of all ranks (in rank order), float count, iterations (-1: until it fails), step deadline
 * in ms. Prints {@code result <iteration> <hash> <sum>} per all-reduce and {@code aborted
 * <exception> <peer rank> <message>} when one fails.
 */
public final class RingRankMain {
  private RingRankMain() {}

  public static void main(String[] args) {
    int rank = Integer.parseInt(args[0]);
    List<InetSocketAddress> ring = new ArrayList<>();
    for (String p : args[1].split(",")) {
      ring.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(p)));
    }
    int length = Integer.parseInt(args[2]);
    long iterations = Long.parseLong(args[3]);
    DataPlaneSettings settings = new DataPlaneSettings(1 << 20, 2,
        Duration.ofMillis(Long.parseLong(args[4])), Duration.ofSeconds(30));
    RingCollective.Endpoint endpoint = RingCollective.bind(ring.get(rank));
    try (Collective collective = endpoint.join(rank, ring, settings)) {
      System.out.println("joined " + rank);
      for (long i = 0; iterations < 0 || i < iterations; i++) {
        float[] data = data(rank, i, length);
        collective.allReduceSum(data, 0, length);
        double sum = 0;
        for (float f : data) {
          sum += f;
        }
        System.out.println("result " + i + " " + Arrays.hashCode(data) + " " + sum);
      }
    } catch (CollectiveException e) {
      int peer = e instanceof PeerLostException p ? p.peerRank() : -1;
      System.out.println("aborted " + e.getClass().getSimpleName() + " " + peer + " "
          + e.getMessage());
    }
  }

  /** The floats rank {@code rank} contributes at iteration {@code i}. */
  static float[] data(int rank, long i, int length) {
    Random random = new Random(1000L * rank + i);
    float[] d = new float[length];
    for (int k = 0; k < length; k++) {
      d[k] = random.nextFloat() - 0.5f;
    }
    return d;
  }
}
