package io.zbmd.benchmarks.allreduce;

import io.zbmd.testkit.jvm.ChildJvm;
import io.zbmd.testkit.jvm.ChildJvms;
import io.zbmd.testkit.jvm.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Bus bandwidth of zbmd's ring all-reduce ({@link io.zbmd.cluster.RingCollective}) for N local
 * nodes, each its own JVM on 127.0.0.1, next to raw loopback TCP measured in the same run: one
 * plain socket pair moving the same bytes a link carries, and N pairs at once.
 *
 * <pre>{@code
 * AllReduceReport r = AllReduceBenchmark.run(new AllReduceBenchmark.Options(List.of(2, 3, 4), 100, 5));
 * r.print(System.out);
 * }</pre>
 */
public final class AllReduceBenchmark {
  private static final int SEGMENT = 1 << 20;

  /** Ring sizes to measure, the all-reduced size in MiB, and timed rounds per size. */
  public record Options(List<Integer> nodes, int mib, int rounds) {
    public Options {
      if (nodes.isEmpty() || nodes.stream().anyMatch(n -> n < 2 || n > 64)) {
        throw new IllegalArgumentException("--nodes must list ring sizes from 2 to 64, got "
            + nodes);
      }
      if (mib < 1 || mib > 1024) {
        throw new IllegalArgumentException("--mib must be from 1 to 1024, got " + mib);
      }
      if (rounds < 1) {
        throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
      }
    }
  }

  private AllReduceBenchmark() {}

  public static AllReduceReport run(Options options) throws Exception {
    long bytes = (long) options.mib() << 20;
    int floats = (int) (bytes / 4);
    Path logs = Files.createTempDirectory("zbmd-bench-allreduce");
    List<AllReduceReport.Row> rows = new ArrayList<>();
    double rawPair;
    // Full JIT for the nodes; a heap for the array, the JIT and the buffers.
    long heapMib = Math.max(256, 2L * options.mib() + 128);
    try (ChildJvms jvms = ChildJvms.create(logs)
        .jvmOptions(List.of("-Xmx" + heapMib + "m", "-Xms" + heapMib + "m"))) {
      rawPair = medianGbps(bytes, 1, options.rounds());
      for (int n : options.nodes()) {
        double[] seconds = ring(jvms, n, floats, options.rounds());
        double median = median(seconds);
        double alg = bytes / median / 1e9;
        double bus = alg * 2 * (n - 1) / n;
        long linkBytes = bytes * 2 * (n - 1) / n;
        double rawLinks = medianGbps(linkBytes, n, options.rounds());
        rows.add(new AllReduceReport.Row(n, median, alg, bus, rawLinks, seconds));
      }
    }
    // The nodes' output is only worth keeping when a node failed (the exception names it).
    try (var files = Files.walk(logs)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    return new AllReduceReport(Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name") + " " + Runtime.version(), bytes, options.rounds(),
        rawPair, rows);
  }

  /** Per round, the slowest node's all-reduce time in seconds. */
  private static double[] ring(ChildJvms jvms, int n, int floats, int rounds) throws Exception {
    List<Integer> ports = FreePorts.pick(n);
    String portList = ports.stream().map(String::valueOf).collect(Collectors.joining(","));
    int warmup = 2;
    List<ChildJvm> nodes = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      nodes.add(jvms.start("n" + n + "-rank" + r, AllReduceNode.class, String.valueOf(r),
          portList, String.valueOf(floats), String.valueOf(warmup), String.valueOf(rounds),
          String.valueOf(SEGMENT)));
    }
    double[] slowest = new double[rounds];
    for (ChildJvm node : nodes) {
      node.awaitOutput("done"::equals, Duration.ofMinutes(10));
      if (node.awaitExit(Duration.ofSeconds(30)) != 0) {
        throw new IllegalStateException(node + " failed: " + node.tails());
      }
      for (String line : node.stdout().split("\n")) {
        if (line.startsWith("round ")) {
          String[] f = line.split(" ");
          int i = Integer.parseInt(f[1]);
          slowest[i] = Math.max(slowest[i], Long.parseLong(f[2]) / 1e9);
        }
      }
    }
    return slowest;
  }

  private static double medianGbps(long bytes, int links, int rounds) throws Exception {
    RawTcp.move(bytes, links, SEGMENT); // warm-up
    double[] seconds = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      seconds[i] = RawTcp.move(bytes, links, SEGMENT) / 1e9;
    }
    return bytes / median(seconds) / 1e9;
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
