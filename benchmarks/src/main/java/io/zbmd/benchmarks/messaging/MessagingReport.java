package io.zbmd.benchmarks.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zbmd.benchmarks.messaging.internal.TellLatency;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * What {@link MessagingBenchmark#run} measured: every round, the per-figure summary and the
 * machine it ran on.
 *
 * <pre>{@code
 * MessagingReport report = MessagingBenchmark.run(Options.quick());
 * report.print(System.out);
 * report.writeJson(Path.of("messaging.json"));
 * }</pre>
 *
 * @param benchmark always "messaging"
 * @param machine the machine at the start of the run
 * @param loadAverageAtEnd one-minute load average when the run ended
 * @param durationSeconds wall time of the whole run, warm-up included
 * @param options what ran
 * @param variants the settings each variant resolved to
 * @param rounds every round of every variant, warm-up rounds included and flagged
 * @param summary each {@link Figure} over the measured rounds, in {@link Figure} order
 */
public record MessagingReport(
    String benchmark,
    MachineInfo machine,
    double loadAverageAtEnd,
    double durationSeconds,
    Options options,
    List<VariantSettings> variants,
    List<RoundResult> rounds,
    List<FigureSummary> summary) {

  public MessagingReport {
    variants = List.copyOf(variants);
    rounds = List.copyOf(rounds);
    summary = List.copyOf(summary);
  }

  /** The summary of {@code figure}. */
  public FigureSummary summary(Figure figure) {
    return summary.stream()
        .filter(s -> s.figure().equals(figure.key()))
        .findFirst()
        .orElseThrow(() -> new NoSuchElementException("no figure " + figure.key()));
  }

  /** The summary value of {@code figure} for {@code variant} (see {@link FigureSummary#value}). */
  public double value(String variant, Figure figure) {
    return summary(figure).value().get(variant);
  }

  /** Writes the report as indented JSON; every round is in it, not only the summary. */
  public void writeJson(Path file) throws IOException {
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), this);
  }

  /** Prints the summary table: medians over the measured rounds, and advantages over Pekko. */
  public void print(PrintStream out) {
    List<String> names = options.variants().stream().map(Variant::name).toList();
    List<String> compared = names.stream().filter(n -> !n.equals(Variant.PEKKO_NAME)).toList();
    boolean hasBaseline = names.contains(Variant.PEKKO_NAME);
    out.printf("zbmd messaging benchmark: %d cores, %s, %s%n",
        machine.cores(), machine.jvm(), machine.date());
    out.printf("load average %.2f at start, %.2f at end; %d warm-up + %d measured rounds, %.0f s%n",
        machine.loadAverage(), loadAverageAtEnd, options.warmupRounds(), options.rounds(),
        durationSeconds);
    out.println("Throughputs: median of the measured rounds; latency: percentile of their pooled");
    out.println("samples. Then ± half the range of the per-round values, as a share of the median.");
    StringBuilder header = new StringBuilder(String.format("%-28s", "figure"));
    names.forEach(n -> header.append(String.format(" %18s", n)));
    if (hasBaseline) {
      compared.forEach(n -> header.append(String.format(" %12s", n + " adv")));
    }
    out.println(header);
    for (Figure figure : Figure.values()) {
      FigureSummary s = summary(figure);
      StringBuilder row = new StringBuilder(String.format("%-28s", figure.label()));
      for (String n : names) {
        row.append(String.format(" %18s", format(s.value().get(n), figure)
            + String.format(" ±%2.0f%%", 100 * s.rounds().get(n).spread())));
      }
      if (hasBaseline) {
        compared.forEach(n -> row.append(String.format(" %11.2fx", s.advantage().get(n))));
      }
      out.println(row);
    }
    if (hasBaseline) {
      out.println("adv = advantage over plain Pekko defaults, above 1 when the variant is better:");
      out.println("throughputs variant/pekko, the median of the ratios of each round; times");
      out.println("pekko/variant (latency: ratio of the pooled percentiles).");
    }
  }

  private static String format(double value, Figure figure) {
    if (figure.unit().equals("/s")) {
      return String.format("%.3f M/s", value / 1e6);
    }
    return value < 10_000 ? String.format("%.0f ns", value) : String.format("%.1f us", value / 1e3);
  }

  /**
   * Builds the summary of each figure from the measured rounds, and {@code latencies}: per
   * variant, the one-way latency samples of all its measured rounds, sorted.
   */
  static List<FigureSummary> summarize(
      List<RoundResult> rounds, List<Variant> variants, Map<String, long[]> latencies) {
    List<FigureSummary> all = new ArrayList<>();
    for (Figure figure : Figure.values()) {
      Map<String, FigureSummary.Stats> stats = new LinkedHashMap<>();
      Map<String, Double> value = new LinkedHashMap<>();
      for (Variant v : variants) {
        List<Double> values = rounds.stream()
            .filter(r -> !r.warmup() && r.variant().equals(v.name()))
            .map(r -> r.value(figure))
            .toList();
        FigureSummary.Stats s = FigureSummary.Stats.of(values);
        stats.put(v.name(), s);
        value.put(v.name(), figure.isLatencyPercentile()
            ? (double) TellLatency.quantile(latencies.get(v.name()), figure.quantile())
            : s.median());
      }
      Map<String, Double> advantage = new LinkedHashMap<>();
      Double baseline = value.get(Variant.PEKKO_NAME);
      if (baseline != null) {
        for (String name : value.keySet()) {
          if (!name.equals(Variant.PEKKO_NAME)) {
            advantage.put(name, figure.isLatencyPercentile()
                ? figure.advantage(value.get(name), baseline)
                : pairedAdvantage(rounds, figure, name));
          }
        }
      }
      String method = figure.isLatencyPercentile()
          ? "percentile of the samples of all measured rounds pooled; advantage = ratio of these"
          : "median of the measured rounds; advantage = median of the per-round ratios";
      all.add(new FigureSummary(
          figure.key(), figure.unit(), figure.higherIsBetter(), method, value, stats, advantage));
    }
    return all;
  }

  // Within a round the variant and the baseline ran seconds apart, so the median of the per-round
  // ratios resists load that drifts over the whole run.
  private static double pairedAdvantage(List<RoundResult> rounds, Figure figure, String variant) {
    List<Double> ratios = new ArrayList<>();
    for (RoundResult r : rounds) {
      if (!r.warmup() && r.variant().equals(variant)) {
        rounds.stream()
            .filter(b -> b.round() == r.round() && b.variant().equals(Variant.PEKKO_NAME))
            .findFirst()
            .ifPresent(b -> ratios.add(figure.advantage(r.value(figure), b.value(figure))));
      }
    }
    return FigureSummary.Stats.of(ratios).median();
  }
}
