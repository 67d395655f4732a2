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
 * rounds, every round kept for the JSON. {@code baselineName} says what the baseline column is
 * ({@code openblas} for the CPU, {@code native} for CUDA: the same kernel through the driver API).
 */
public record GemmReport(String device, int cores, String jvm, String baselineName, int inFlight,
    List<Row> rows) {
  /**
   * One size. {@code baseline} is NaN when the backend has none; {@code maxError} is the largest
   * error of sampled entries of the backend's result against double precision, relative to the
   * sum of the terms' magnitudes.
   */
  public record Row(int n, long repsPerRound, double direct, double actor, double baseline,
      double maxError, double[] directRounds, double[] actorRounds, double[] baselineRounds) {
    /** Actor path over direct path: 1.0 means no overhead. */
    public double actorRatio() {
      return actor / direct;
    }

    /** Backend over the baseline: 1.0 means the backend adds nothing. */
    public double backendRatio() {
      return direct / baseline;
    }
  }

  public void print(PrintStream out) {
    out.printf(Locale.ROOT, "sgemm on %s (%d cores, %s), median GFLOP/s of interleaved rounds, %d in flight%n",
        device, cores, jvm, inFlight);
    if (baselineName.equals("native")) {
      out.println("native = zbmd_sgemm (our kernel) launched straight through the CUDA driver API,"
          + " no zbmd stream in between");
    }
    String ratio = "direct/" + baselineName;
    out.printf(Locale.ROOT, "%6s %12s %12s %12s %14s %16s %10s%n",
        "n", "direct", "actor", baselineName, "actor/direct", ratio, "max error");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "%6d %12.1f %12.1f %12s %14.3f %16s %10.1e%n", r.n(), r.direct(), r.actor(),
          Double.isNaN(r.baseline()) ? "-" : String.format(Locale.ROOT, "%.1f", r.baseline()),
          r.actorRatio(),
          Double.isNaN(r.baseline()) ? "-" : String.format(Locale.ROOT, "%.3f", r.backendRatio()),
          r.maxError());
    }
  }

  public void writeJson(Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(),
        java.util.Map.of("benchmark", "gemm", "date", Instant.now().toString(), "report", this));
  }
}
