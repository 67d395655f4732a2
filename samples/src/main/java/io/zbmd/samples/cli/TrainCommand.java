package io.zbmd.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.checkpoint.CheckpointedRun;
import io.zbmd.checkpoint.CorruptCheckpointException;
import io.zbmd.checkpoint.JournalingListener;
import io.zbmd.checkpoint.RunConfigMismatchException;
import io.zbmd.gpu.DeviceId;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.MnistDataset;
import io.zbmd.ml.io.SafeTensors;
import io.zbmd.ml.nn.Conv2d;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Flatten;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.MaxPool2d;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.nn.Unflatten;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.SGD;
import io.zbmd.ml.training.Checkpoint;
import io.zbmd.ml.training.TrainingOptions;
import io.zbmd.ml.training.TrainingSummary;
import io.zbmd.ml.training.TrainingSupervisor;
import io.zbmd.ml.training.TrainingSupervisor.EpochCompleted;
import io.zbmd.ml.training.TrainingSupervisor.Event;
import io.zbmd.ml.training.TrainingSupervisor.Result;
import io.zbmd.ml.training.TrainingSupervisor.StepTaken;
import io.zbmd.ml.training.TrainingSupervisor.TrainingCompleted;
import io.zbmd.ml.training.TrainingSupervisor.TrainingFailed;
import io.zbmd.runtime.Zbmd;
import io.zbmd.samples.mnist.BundledMnist;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zbmd train}: trains an MLP or a CNN on MNIST (the bundled 8,000/2,000 subset unless
 * {@code --data} names a directory of IDX files) under a {@link TrainingSupervisor}, printing a line
 * per epoch and optionally writing a summary JSON and the trained weights as {@code .safetensors}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Trains a model on MNIST under the training supervisor (which halves the micro-batch when",
      "device memory runs out and moves to a healthy device when one is lost), printing a line",
      "per epoch with loss, test accuracy and samples/s."
    })
final class TrainCommand implements Callable<Integer> {
  /** The defaults reach a final train loss below 0.1 and a test accuracy of at least 93%. */
  static final int DEFAULT_HIDDEN = 512;

  @Option(names = "--model", description = "mlp (784-H-10) or cnn. Default: ${DEFAULT-VALUE}.")
  String model = "mlp";

  @Option(names = "--hidden", description = "Hidden units of the mlp. Default: ${DEFAULT-VALUE}.")
  int hidden = DEFAULT_HIDDEN;

  @Option(names = "--optimizer", description = "adam or sgd. Default: ${DEFAULT-VALUE}.")
  String optimizer = "adam";

  @Option(names = "--lr", description = "Learning rate. Default: 1e-3 for adam, 0.1 for sgd.")
  Double lr;

  @Option(names = "--batch", description = "Batch size. Default: ${DEFAULT-VALUE}.")
  int batch = 64;

  @Option(names = "--epochs", description = "Epochs. Default: ${DEFAULT-VALUE}.")
  int epochs = 10;

  @Option(names = "--seed", description = "Seed of the weights and the shuffle. Default: ${DEFAULT-VALUE}.")
  long seed = 42;

  @Option(
      names = "--backend",
      description = "Device to train on: a backend (cpu, cuda, vulkan) or a device (cpu:0). "
          + "Default: the first healthy device of zbmd.gpu.backends.")
  String backend;

  @Option(names = "--data", description = "Directory of MNIST IDX files (raw or .gz). Default: the bundled subset.")
  Path data;

  @Option(names = "--limit", description = "Use only the first N training and test digits (quick runs).")
  Integer limit;

  @Option(names = "--export", description = "Write the trained weights to this .safetensors file.")
  Path export;

  @Option(names = "--summary-json", description = "Write the run's summary to this JSON file.")
  Path summaryJson;

  @Option(
      names = "--run-id",
      description = "Name of the run. An existing run resumes from its last checkpoint (the other"
          + " options must match how it started); a completed run says so (and, with --export,"
          + " exports its final weights). Default: a new run-<date>-<time>-<random> id.")
  String runId;

  @Option(
      names = "--data-dir",
      description = "Where the journal and checkpoints live (overrides zbmd.data-dir)."
          + " Default: ./zbmd-data.")
  Path dataDir;

  @Option(
      names = "--checkpoint-every",
      paramLabel = "STEPS",
      description = "Also checkpoint every STEPS optimizer steps. Default: at the end of every"
          + " epoch (which includes the end of the run).")
  int checkpointEvery;

  @Option(names = {"-v", "--verbose"}, description = "Also print a line per saved checkpoint.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    TrainOptionsCheck.check(this);
    PrintStream out = System.out;
    MnistDataset mnist = data == null ? BundledMnist.load() : MnistDataset.read(data);
    Dataset train = limit(mnist.train());
    Dataset test = limit(mnist.test());
    ModelSpec spec = spec();
    TrainingOptions options =
        TrainingOptions.of(epochs, batch, seed).withEvaluateEveryEpoch(true).withEvalBatchSize(500);
    if (backend != null) {
      options = options.withDevice(DeviceId.parse(backend.contains(":") ? backend : backend + ":0"));
    }
    out.printf(
        Locale.ROOT,
        "training %s with %s (lr %s), batch %d, %d epochs, on %d digits (%d test)%n",
        describeModel(),
        optimizer,
        lr(),
        batch,
        epochs,
        train.size(),
        test.size());

    if (checkpointEvery < 0) {
      throw new IllegalArgumentException("--checkpoint-every must be >= 0, got " + checkpointEvery);
    }
    options = options.withCheckpointEvery(checkpointEvery);
    String id = runId != null ? runId : newRunId();
    Config overrides =
        dataDir == null
            ? ConfigFactory.empty()
            : ConfigFactory.parseMap(Map.of("zbmd.data-dir", dataDir.toAbsolutePath().toString()));
    ActorSystem<SpawnProtocol.Command> system =
        Zbmd.create(SpawnProtocol.create(), "zbmd-train", overrides);
    try {
      return train(system, id, spec, train, test, options, out);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private int train(
      ActorSystem<SpawnProtocol.Command> system,
      String id,
      ModelSpec spec,
      Dataset train,
      Dataset test,
      TrainingOptions opts,
      PrintStream out)
      throws Exception {
    CheckpointedRun run;
    try {
      run = CheckpointedRun.open(system, id, runConfig(train, test)).toCompletableFuture().get();
    } catch (IllegalArgumentException e) {
      System.err.println("--run-id: " + e.getMessage());
      return 2;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RunConfigMismatchException m) {
        System.err.println("refusing to resume: " + m.getMessage());
        return 2;
      }
      System.err.println("cannot open run " + id + ": " + JournalProblem.describe(e));
      return 1;
    }
    for (CorruptCheckpointException skipped : run.skipped()) {
      System.err.println("warning: skipped " + skipped.getMessage());
    }
    if (run.completed()) {
      out.printf(
          Locale.ROOT,
          "run %s already completed at step %d (%d epochs); nothing left to train%n",
          id,
          run.state().lastStep(),
          run.state().epochsCompleted());
      if (export != null) {
        Checkpoint last =
            run.resumeFrom()
                .orElseThrow(
                    () -> new IllegalStateException("run " + id + " has no intact checkpoint left"));
        SafeTensors.write(export, last.weights());
        out.println("final weights of step " + last.step() + " written to " + export);
      }
      return 0;
    }
    if (run.resumeFrom().isPresent()) {
      Checkpoint c = run.resumeFrom().get();
      out.printf(
          Locale.ROOT,
          "resuming run %s from its checkpoint at step %d (epoch %d of %d)%n",
          id,
          c.step(),
          c.epoch(),
          epochs);
    } else {
      out.printf(
          Locale.ROOT,
          "run %s: journal and checkpoints under %s (resume with --run-id %s)%n",
          id,
          system.settings().config().getString("zbmd.data-dir"),
          id);
    }
    CompletableFuture<Result> outcome = new CompletableFuture<>();
    system.getWhenTerminated().thenRun(() -> outcome.complete(new TrainingFailed(
        new IllegalStateException("the actor system stopped; see the log"), null)));
    AskPattern.<SpawnProtocol.Command, ActorRef<Object>>ask(
            system,
            replyTo ->
                new SpawnProtocol.Spawn<>(
                    driver(run, spec, train, test, opts, outcome, out),
                    "run",
                    Props.empty(),
                    replyTo),
            Duration.ofSeconds(10),
            system.scheduler())
        .toCompletableFuture()
        .get();
    Result result = outcome.get();
    if (result instanceof TrainingFailed f) {
      run.fail(String.valueOf(f.cause())).toCompletableFuture().get(30, TimeUnit.SECONDS);
      System.err.println("training failed: " + f.cause());
      System.err.println("resume with: zbmd train --run-id " + id + " (and the same options)");
      return 1;
    }
    TrainingSummary s = ((TrainingCompleted) result).summary();
    run.complete(s.steps(), summaryMetrics(s)).toCompletableFuture().get(30, TimeUnit.SECONDS);
    out.printf(
        Locale.ROOT,
        "done: final train loss %.4f, test accuracy %.2f%%, %,.0f samples/s, %d steps, %d recoveries,"
            + " on %s, %.1f s%n",
        s.finalTrainLoss(),
        100 * s.testAccuracy(),
        s.samplesPerSecond(),
        s.steps(),
        s.recoveries(),
        s.device(),
        s.seconds());
    if (export != null) {
      SafeTensors.write(export, run.sink().latest().orElseThrow().weights());
      out.println("weights written to " + export);
    }
    if (summaryJson != null) {
      Path parent = summaryJson.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(summaryJson.toFile(), toJson(s));
      out.println("summary written to " + summaryJson);
    }
    return 0;
  }

  /** Spawns the run, shows its progress, journals its events, completes {@code outcome}. */
  private Behavior<Object> driver(
      CheckpointedRun run,
      ModelSpec spec,
      Dataset train,
      Dataset test,
      TrainingOptions opts,
      CompletableFuture<Result> outcome,
      PrintStream out) {
    // A bar only on a terminal: in logs and pipes the per-epoch lines say everything.
    boolean bar = System.console() != null;
    EpochProgress progress = new EpochProgress(epochs);
    return Behaviors.setup(
        ctx -> {
          ActorRef<Result> results = ctx.messageAdapter(Result.class, r -> r);
          ActorRef<Event> events =
              ctx.spawn(
                  JournalingListener.create(
                      run.journal(), ctx.messageAdapter(Event.class, e -> e)),
                  "journaling");
          ActorRef<TrainingSupervisor.Command> supervisor =
              ctx.spawn(
                  TrainingSupervisor.create(spec, train, test, opts, run.sink(), results, events),
                  "training");
          // If it fails before it could reply (e.g. an unknown --backend), say why, not hang.
          ctx.watch(supervisor);
          return Behaviors.receive(Object.class)
              .onSignal(
                  ChildFailed.class,
                  f -> {
                    outcome.complete(new TrainingFailed(f.cause(), null));
                    return Behaviors.same();
                  })
              .onSignal(
                  Terminated.class,
                  t -> {
                    outcome.complete(
                        new TrainingFailed(new IllegalStateException("training stopped"), null));
                    return Behaviors.same();
                  })
              .onAnyMessage(
                  m -> {
                    if (m instanceof Result r) {
                      outcome.complete(r);
                    } else if (m instanceof StepTaken s && bar) {
                      progress.step(s);
                    } else if (m instanceof EpochCompleted e) {
                      progress.close();
                      out.printf(
                          Locale.ROOT,
                          "epoch %d/%d  loss %.4f  test loss %.4f  accuracy %.2f%%  %,.0f"
                              + " samples/s%n",
                          e.epoch(),
                          epochs,
                          e.trainLoss(),
                          e.testLoss(),
                          100 * e.testAccuracy(),
                          e.samplesPerSecond());
                    } else if (m instanceof TrainingSupervisor.CheckpointRecorded c && verbose) {
                      // Printed once durable: the journal holds it and its file is fsynced.
                      out.printf(
                          Locale.ROOT, "  checkpoint saved: step %d (epoch %d)%n", c.step(), c.epoch());
                    } else if (m instanceof TrainingSupervisor.BatchSizeReduced
                        || m instanceof TrainingSupervisor.EvaluationBatchReduced
                        || m instanceof TrainingSupervisor.DeviceReplaced) {
                      out.println("  recovered: " + m);
                    }
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** What a resumed run must share with the run it resumes: all that shapes its training. */
  private Map<String, String> runConfig(Dataset train, Dataset test) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model", describeModel());
    m.put("optimizer", optimizer);
    m.put("lr", String.valueOf(lr()));
    m.put("batch", String.valueOf(batch));
    m.put("epochs", String.valueOf(epochs));
    m.put("seed", String.valueOf(seed));
    m.put("data", data == null ? "bundled" : data.toAbsolutePath().toString());
    m.put("train_size", String.valueOf(train.size()));
    m.put("test_size", String.valueOf(test.size()));
    return m;
  }

  private static Map<String, Double> summaryMetrics(TrainingSummary s) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("final_train_loss", s.finalTrainLoss());
    m.put("test_loss", s.testLoss());
    m.put("test_accuracy", s.testAccuracy());
    m.put("samples_per_second", s.samplesPerSecond());
    return m;
  }

  /** run-20261125-203512-3f9a: sortable, and unique enough for one machine. */
  static String newRunId() {
    return "run-"
        + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)
            .withZone(ZoneOffset.UTC)
            .format(Instant.now())
        + "-"
        + String.format(Locale.ROOT, "%04x", new SecureRandom().nextInt(0x10000));
  }

  private Map<String, Object> toJson(TrainingSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("final_train_loss", s.finalTrainLoss());
    m.put("test_accuracy", s.testAccuracy());
    m.put("samples_per_second", s.samplesPerSecond());
    m.put("epochs", s.epochs());
    m.put("steps", s.steps());
    m.put("recoveries", s.recoveries());
    m.put("backend", s.backend());
    m.put("device", s.device());
    m.put("test_loss", s.testLoss());
    m.put("model", describeModel());
    m.put("optimizer", optimizer);
    m.put("lr", lr());
    m.put("batch", batch);
    m.put("wall_seconds", s.seconds());
    return m;
  }

  private Dataset limit(Dataset d) {
    if (limit == null || limit >= d.size()) {
      return d;
    }
    return new Dataset(
        Arrays.copyOf(d.images(), limit * d.features()),
        Arrays.copyOf(d.labels(), limit),
        d.rows(),
        d.cols());
  }

  private double lr() {
    if (lr != null) {
      return lr;
    }
    return switch (optimizer) {
      case "adam" -> 1e-3;
      case "sgd" -> 0.1;
      default -> throw new IllegalArgumentException("unknown optimizer " + optimizer + " (adam, sgd)");
    };
  }

  private String describeModel() {
    return switch (model) {
      case "mlp" -> "mlp 784-" + hidden + "-10";
      case "cnn" -> "cnn conv5x5x16-pool-conv5x5x32-pool-fc512x10";
      default -> throw new IllegalArgumentException("unknown model " + model + " (mlp, cnn)");
    };
  }

  /** The model, cross-entropy and the optimizer; parameter names as PyTorch's. */
  ModelSpec spec() {
    double rate = lr();
    ModelSpec.OptimizerFactory opt =
        switch (optimizer) {
          case "adam" -> (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(rate));
          case "sgd" -> (alloc, p) -> new SGD(alloc, p, SGD.Options.of(rate));
          default -> throw new IllegalArgumentException(
              "unknown optimizer " + optimizer + " (adam, sgd)");
        };
    return ModelSpec.of(network(model, hidden, seed), CrossEntropyLoss::new, opt);
  }

  /**
   * The {@code mlp} (784-{@code hidden}-10, {@code fc1.*}, {@code fc2.*}) or the {@code cnn}
   * ({@code conv1.*}, {@code conv2.*}, {@code fc.*}), both taking {@code [N, 784]} inputs.
   */
  static ModelSpec.ModelFactory network(String model, int hidden, long seed) {
    return switch (model) {
      case "mlp" -> (ops, alloc) -> {
        SplittableRandom rng = new SplittableRandom(seed);
        return Sequential.builder()
            .add("fc1", new Linear(ops, alloc, 784, hidden, rng))
            .add("relu", new ReLU(alloc))
            .add("fc2", new Linear(ops, alloc, hidden, 10, rng))
            .build();
      };
      case "cnn" -> (ops, alloc) -> {
        SplittableRandom rng = new SplittableRandom(seed);
        return Sequential.builder()
            .add("unflatten", new Unflatten(1, 1, 28, 28))
            .add("conv1", new Conv2d(ops, alloc, 1, 16, 5, rng))
            .add("relu1", new ReLU(alloc))
            .add("pool1", new MaxPool2d(alloc, 2))
            .add("conv2", new Conv2d(ops, alloc, 16, 32, 5, rng))
            .add("relu2", new ReLU(alloc))
            .add("pool2", new MaxPool2d(alloc, 2))
            .add("flatten", new Flatten())
            .add("fc", new Linear(ops, alloc, 512, 10, rng))
            .build();
      };
      default -> throw new IllegalArgumentException("unknown model " + model + " (mlp, cnn)");
    };
  }
}
