package io.zbmd.benchmarks.train;

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
 * Results of {@link TrainBenchmark}: per workload the median training samples/s over rounds (every
 * round kept for the JSON), next to the PyTorch anchor for the same workload. The anchors are
 * constants measured earlier on this machine (PyTorch 1.13 CPU, 2 threads), not in this run.
 */
public record TrainReport(String device, int cores, String jvm, int batch, int trainSamples,
    String anchorSource, List<Row> rows) {

  /**
   * One workload. {@code pytorch} is the anchor in samples/s (NaN if none); {@code lastLoss} is
   * the loss of the last timed step (a sanity figure: finite, and falling for a learning model);
   * {@code warmupSteps} and {@code stepsPerRound} are the steps run before timing and per round.
   */
  public record Row(String workload, String model, String optimizer, int warmupSteps,
      int stepsPerRound, double samplesPerSecond,
      double pytorch, double lastLoss, double[] rounds) {
    /** zbmd over PyTorch: above 1.0 means zbmd is faster. */
    public double ratio() {
      return samplesPerSecond / pytorch;
    }
  }

  public void print(PrintStream out) {
    out.printf(Locale.ROOT,
        "training on %s (%d cores, %s), batch %d, %d training samples, median samples/s over %d rounds%n",
        device, cores, jvm, batch, trainSamples, rows.isEmpty() ? 0 : rows.get(0).rounds().length);
    out.printf(Locale.ROOT,
        "each step = one submitted work (upload batch, zeroGrad, forward, loss, backward, optimizer"
            + " step) awaited%n");
    out.println("pytorch = " + anchorSource);
    out.printf(Locale.ROOT, "%-10s %-58s %7s %7s %10s %10s %13s %10s%n",
        "workload", "model", "warm-up", "steps", "zbmd", "pytorch", "zbmd/pytorch", "last loss");
    for (Row r : rows) {
      boolean anchored = !Double.isNaN(r.pytorch());
      out.printf(Locale.ROOT, "%-10s %-58s %7d %7d %10.0f %10s %13s %10.4f%n", r.workload(),
          r.model() + ", " + r.optimizer(), r.warmupSteps(), r.stepsPerRound(),
          r.samplesPerSecond(),
          anchored ? String.format(Locale.ROOT, "%.0f", r.pytorch()) : "-",
          anchored ? String.format(Locale.ROOT, "%.3f", r.ratio()) : "-",
          r.lastLoss());
    }
  }

  public void writeJson(Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(),
        Map.of("benchmark", "train", "date", Instant.now().toString(), "report", this));
  }
}
