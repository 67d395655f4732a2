package io.zbmd.benchmarks.gemm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Results of {@link GemmBenchmark}: per size the median GFLOP/s of each path over interleaved
 * rounds, every round kept for the JSON.
 */
public record GemmReport(String device, int cores, String jvm, List<Row> rows) {
  /** One size. {@code openBlas} is NaN when the backend is not the CPU. */
  public record Row(int n, long repsPerRound, double direct, double actor, double openBlas,
      double[] directRounds, double[] actorRounds, double[] openBlasRounds) {
    /**
     * Actor path over direct path, the median of the per-round ratios (each round measures both
     * back to back, so a ratio within a round cancels slow drift): 1.0 means no overhead.
     */
    public double actorRatio() {
      return pairedMedian(actorRounds, directRounds);
    }

    /** Backend over plain OpenBLAS, the median of per-round ratios: 1.0 means it adds nothing. */
    public double backendRatio() {
      return pairedMedian(directRounds, openBlasRounds);
    }

    private static double pairedMedian(double[] num, double[] den) {
      double[] r = new double[num.length];
      for (int i = 0; i < r.length; i++) {
        r[i] = num[i] / den[i];
      }
      java.util.Arrays.sort(r);
      return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    }
  }

  public void print(PrintStream out) {
    out.printf(Locale.ROOT, "sgemm on %s (%d cores, %s): median GFLOP/s of interleaved rounds; ratios are medians of per-round ratios%n",
        device, cores, jvm);
    out.printf(Locale.ROOT, "%6s %12s %12s %12s %14s %16s%n",
        "n", "direct", "actor", "openblas", "actor/direct", "direct/openblas");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "%6d %12.1f %12.1f %12s %14.3f %16s%n", r.n(), r.direct(), r.actor(),
          Double.isNaN(r.openBlas()) ? "-" : String.format(Locale.ROOT, "%.1f", r.openBlas()),
          r.actorRatio(),
          Double.isNaN(r.openBlas()) ? "-" : String.format(Locale.ROOT, "%.3f", r.backendRatio()));
    }
  }

  public void writeJson(Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(),
        java.util.Map.of("benchmark", "gemm", "date", Instant.now().toString(), "report", this));
  }
}
