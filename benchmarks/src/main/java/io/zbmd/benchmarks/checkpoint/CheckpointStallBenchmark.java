package io.zbmd.benchmarks.checkpoint;

import com.typesafe.config.ConfigFactory;
import io.zbmd.checkpoint.CheckpointedRun;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.training.Checkpoint;
import io.zbmd.ml.training.CheckpointSink;
import io.zbmd.ml.training.InMemoryCheckpointSink;
import io.zbmd.ml.training.TrainingOptions;
import io.zbmd.ml.training.TrainingSupervisor;
import io.zbmd.ml.training.TrainingSupervisor.CheckpointRecorded;
import io.zbmd.ml.training.TrainingSupervisor.Result;
import io.zbmd.ml.training.TrainingSupervisor.StepTaken;
import io.zbmd.ml.training.TrainingSupervisor.TrainingCompleted;
import io.zbmd.runtime.Zbmd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The step-time stall a checkpoint causes. One model is trained three ways in the same JVM: with
 * no checkpoints within the epoch (the baseline), with zbmd's journaled checkpoints every {@code
 * every} steps (the file is written and journaled while training goes on), and with the same
 * checkpoints made blocking (the save waits for the file and the journal, as a synchronous
 * {@code torch.save} in the training loop would). The stall is the median time of a step that
 * follows a checkpoint minus the median time of the other steps; the write latency is the time
 * from the checkpoint's step to its {@code CheckpointRecorded} (file fsynced and journaled).
 *
 * <pre>{@code
 * CheckpointStallBenchmark.Report r = CheckpointStallBenchmark.run(spec, train, test, options, 10);
 * r.print(System.out);
 * }</pre>
 */
public final class CheckpointStallBenchmark {
  private CheckpointStallBenchmark() {}

  /**
   * @param mode none, journaled or blocking
   * @param stepMillis median time of a step not following a checkpoint
   * @param afterCheckpointMillis median time of a step following a checkpoint (NaN for none)
   * @param writeMillis median time from a checkpoint's step to its record being durable
   * @param checkpoints checkpoints recorded
   * @param bytes size of one checkpoint file (0 for none)
   * @param seconds wall time of the training
   */
  public record Mode(
      String mode,
      double stepMillis,
      double afterCheckpointMillis,
      double writeMillis,
      int checkpoints,
      long bytes,
      double seconds) {
    public double stallMillis() {
      return afterCheckpointMillis - stepMillis;
    }
  }

  public record Report(List<Mode> modes, int every) {
    public void print(PrintStream out) {
      out.printf(
          Locale.ROOT,
          "checkpoint stall, a checkpoint every %d steps (and at epoch ends; at most %d saves"
              + " pending)%n",
          every,
          TrainingSupervisor.MAX_PENDING_SAVES);
      for (Mode m : modes) {
        if (m.checkpoints() == 0 || m.bytes() == 0) {
          out.printf(
              Locale.ROOT,
              "  %-10s step %.2f ms, no checkpoints within the epoch, %.1f s%n",
              m.mode(),
              m.stepMillis(),
              m.seconds());
          continue;
        }
        out.printf(
            Locale.ROOT,
            "  %-10s step %.2f ms, step after a checkpoint %.2f ms (stall %.2f ms),"
                + " write+journal %.1f ms, %d checkpoints of %,d bytes, %.1f s%n",
            m.mode(),
            m.stepMillis(),
            m.afterCheckpointMillis(),
            m.stallMillis(),
            m.writeMillis(),
            m.checkpoints(),
            m.bytes(),
            m.seconds());
      }
      if (modes.size() == 3) {
        out.printf(
            Locale.ROOT,
            "  stall: journaled %.2f ms vs blocking %.2f ms (%.1fx less); total time journaled/none"
                + " %.3f%n",
            modes.get(1).stallMillis(),
            modes.get(2).stallMillis(),
            modes.get(2).stallMillis() / modes.get(1).stallMillis(),
            modes.get(1).seconds() / modes.get(0).seconds());
      }
    }
  }

  /** Runs the three modes in order; {@code options}' own checkpoint interval is ignored. */
  public static Report run(
      ModelSpec spec, Dataset train, Dataset test, TrainingOptions options, int every)
      throws Exception {
    List<Mode> modes = new ArrayList<>();
    // Warm-up: the JIT and the file system see the same work before anything is measured.
    once("warm-up", spec, train, test, options, every, s -> s);
    modes.add(once("none", spec, train, test, options, 0, s -> s));
    modes.add(once("journaled", spec, train, test, options, every, s -> s));
    modes.add(once("blocking", spec, train, test, options, every, Blocking::new));
    return new Report(modes, every);
  }

  /** The same sink, but each save returns only once it is durable. */
  private record Blocking(CheckpointSink inner) implements CheckpointSink {
    @Override
    public CompletionStage<Void> save(Checkpoint checkpoint, Map<String, Double> metrics) {
      CompletableFuture<Void> f = inner.save(checkpoint, metrics).toCompletableFuture();
      f.join();
      return f;
    }

    @Override
    public Optional<Checkpoint> latest() {
      return inner.latest();
    }
  }

  private static Mode once(
      String mode,
      ModelSpec spec,
      Dataset train,
      Dataset test,
      TrainingOptions options,
      int every,
      Function<CheckpointSink, CheckpointSink> wrap)
      throws Exception {
    Path dataDir = Files.createTempDirectory("zbmd-stall-");
    EventClock clock = new EventClock();
    CompletableFuture<Result> outcome = new CompletableFuture<>();
    ActorSystem<Void> system =
        Zbmd.create(
            Behaviors.empty(),
            "stall-bench",
            ConfigFactory.parseMap(
                    Map.of("zbmd.data-dir", dataDir.toString(), "pekko.loglevel", "WARNING"))
                .withFallback(ConfigFactory.parseString("zbmd.gpu.backends = [cpu]")));
    try {
      CheckpointSink sink;
      if (every == 0) {
        sink = new InMemoryCheckpointSink();
      } else {
        CheckpointedRun run =
            CheckpointedRun.open(system, "stall", Map.of("mode", mode))
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        sink = wrap.apply(run.sink());
      }
      long start = System.nanoTime();
      system.systemActorOf(
          clock.training(spec, train, test, options.withCheckpointEvery(every), sink, outcome),
          "run",
          org.apache.pekko.actor.typed.Props.empty());
      Result r = outcome.get(10, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (!(r instanceof TrainingCompleted)) {
        throw new IllegalStateException(mode + ": the run did not complete: " + r);
      }
      Map<Long, Long> stepAt = new HashMap<>();
      List<Long> writes = new ArrayList<>();
      int recorded = 0;
      for (EventClock.Stamped s : clock.events) {
        if (s.event() instanceof StepTaken t) {
          stepAt.put(t.step(), s.nanos());
        } else if (s.event() instanceof TrainingSupervisor.EpochCompleted e) {
          // An epoch's last checkpoint waits for the evaluation: not a write's time.
          stepAt.remove(e.step());
        } else if (s.event() instanceof CheckpointRecorded c) {
          recorded++;
          Long at = stepAt.get(c.step());
          if (at != null && every > 0) {
            writes.add(s.nanos() - at);
          }
        }
      }
      double normal =
          EventClock.medianMillis(clock.stepIntervals(n -> every == 0 || (n - 1) % every != 0));
      double after =
          every == 0
              ? Double.NaN
              : EventClock.medianMillis(clock.stepIntervals(n -> (n - 1) % every == 0));
      double write =
          EventClock.medianMillis(writes.stream().mapToLong(Long::longValue).toArray());
      return new Mode(mode, normal, after, write, recorded, largestFile(dataDir), seconds);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      deleteTree(dataDir);
    }
  }

  private static long largestFile(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(p -> p.toString().endsWith(".safetensors"))
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .max()
          .orElse(0);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
