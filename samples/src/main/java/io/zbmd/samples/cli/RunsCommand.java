package io.zbmd.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.typesafe.config.ConfigFactory;
import io.zbmd.checkpoint.CheckpointEntry;
import io.zbmd.checkpoint.RunState;
import io.zbmd.checkpoint.RunsQuery;
import io.zbmd.runtime.Zbmd;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd runs}: the training runs the journal holds, with their checkpoints. */
@Command(
    name = "runs",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the training runs journaled under the data directory: status, steps, epochs, and",
      "each retained checkpoint with its step, file, sha256 and whether the file is still there.",
      "Resume one with: zbmd train --run-id ID (and the options it started with)."
    })
final class RunsCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      description = "Where the journal lives (overrides zbmd.data-dir). Default: ./zbmd-data.")
  Path dataDir;

  @Option(names = "--json", description = "Print the runs as JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    Path dir = dataDir != null ? dataDir : Path.of(Zbmd.config(ConfigFactory.empty()).getString("zbmd.data-dir"));
    if (!Files.isDirectory(dir)) {
      out.println("no runs: " + dir.toAbsolutePath() + " does not exist");
      return 0;
    }
    ActorSystem<Void> system =
        Zbmd.create(
            Behaviors.empty(),
            "zbmd-runs",
            ConfigFactory.parseMap(Map.of("zbmd.data-dir", dir.toAbsolutePath().toString())));
    List<RunState> runs;
    try {
      runs = RunsQuery.create(system).runs().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("cannot read the runs: " + JournalProblem.describe(e));
      return 1;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (json) {
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .writeValue(out, runs);
      out.println();
      return 0;
    }
    if (runs.isEmpty()) {
      out.println("no runs in " + dir.toAbsolutePath());
      return 0;
    }
    for (RunState r : runs) {
      out.printf(
          Locale.ROOT,
          "%s  %s  step %d  epochs %d  started %s%s%n",
          r.runId(),
          r.status(),
          r.lastStep(),
          r.epochsCompleted(),
          r.startedAt(),
          r.failure() == null ? "" : "  failure: " + r.failure());
      out.println("  config: " + r.config());
      if (r.batchSizeReductions() > 0 || r.deviceMigrations() > 0) {
        out.printf(
            Locale.ROOT,
            "  recoveries: %d batch-size reductions, %d device migrations%n",
            r.batchSizeReductions(),
            r.deviceMigrations());
      }
      for (CheckpointEntry c : r.checkpoints()) {
        boolean present = Files.isRegularFile(Path.of(URI.create(c.uri())));
        out.printf(
            Locale.ROOT,
            "  checkpoint step %d (epoch %d)%s  %s  sha256 %s…  %,d bytes%s%n",
            c.step(),
            c.epoch(),
            c.metrics().containsKey("loss")
                ? String.format(Locale.ROOT, "  loss %.4f", c.metrics().get("loss"))
                : "",
            Path.of(URI.create(c.uri())),
            c.sha256().substring(0, 12),
            c.bytes(),
            present ? "" : "  MISSING");
      }
    }
    return 0;
  }
}
