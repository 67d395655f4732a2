package io.zbmd.benchmarks.allreduce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Results of {@link AllReduceBenchmark}. Bandwidths in GB/s (10^9 bytes per second). Bus
 * bandwidth is nccl-tests' figure: size / time x 2(N-1)/N, the rate each link carries, so it is
 * comparable with a single link's raw rate whatever N is.
 */
public record AllReduceReport(int cores, String jvm, long bytes, int rounds, double rawPairGbps,
    List<Row> rows) {
  /**
   * One ring size. {@code time} is the median over rounds of the slowest node's time for one
   * all-reduce; {@code rawLinksGbps} is raw TCP with N socket pairs busy at once (as in the ring),
   * per link.
   */
  public record Row(int nodes, double medianSeconds, double algGbps, double busGbps,
      double rawLinksGbps, double[] roundSeconds) {
    /** Bus bandwidth over a single raw TCP socket pair: the goal is >= 0.8. */
    public double ratioToPair(double rawPairGbps) {
      return busGbps / rawPairGbps;
    }

    /** Bus bandwidth over N raw links busy at once (what the cores allow N links to carry). */
    public double ratioToLinks() {
      return busGbps / rawLinksGbps;
    }
  }

  public void print(PrintStream out) {
    out.printf(Locale.ROOT, "ring all-reduce of %.1f MiB fp32 across N local JVMs over loopback "
        + "(%d cores, %s), median of %d rounds%n", bytes / 1048576.0, cores, jvm, rounds);
    out.printf(Locale.ROOT, "raw TCP, one socket pair, same bytes: %.2f GB/s%n", rawPairGbps);
    out.printf(Locale.ROOT, "%5s %10s %10s %10s %10s %14s %12s%n", "nodes", "time ms", "algbw",
        "busbw", "raw/pair", "raw N links", "busbw/links");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "%5d %10.1f %10.2f %10.2f %10.3f %14.2f %12.3f%n", r.nodes(),
          r.medianSeconds() * 1000, r.algGbps(), r.busGbps(), r.ratioToPair(rawPairGbps),
          r.rawLinksGbps(), r.ratioToLinks());
    }
    out.println("busbw = size / time x 2(N-1)/N (GB/s); raw/pair = busbw / one raw socket pair;"
        + " raw N links = N raw pairs at once, per link");
  }

  public void writeJson(Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(),
        Map.of("benchmark", "allreduce", "date", Instant.now().toString(), "report", this));
  }
}
