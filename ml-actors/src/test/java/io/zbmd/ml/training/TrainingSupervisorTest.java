package io.zbmd.ml.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceHealth;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.KernelException;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.training.TrainingSupervisor.BatchSizeReduced;
import io.zbmd.ml.training.TrainingSupervisor.DeviceReplaced;
import io.zbmd.ml.training.TrainingSupervisor.EvaluationRetried;
import io.zbmd.ml.training.TrainingSupervisor.Event;
import io.zbmd.ml.training.TrainingSupervisor.Result;
import io.zbmd.ml.training.TrainingSupervisor.State;
import io.zbmd.ml.training.TrainingSupervisor.Status;
import io.zbmd.ml.training.TrainingSupervisor.StepRetried;
import io.zbmd.ml.training.TrainingSupervisor.TrainingCompleted;
import io.zbmd.ml.training.TrainingSupervisor.TrainingFailed;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * The training supervisor on a small synthetic problem: it trains to completion and checkpoints
 * every epoch; out of device memory it splits batches into micro-batches and goes on; when its
 * device is lost it moves to a healthy one and resumes from the last checkpoint; a transient kernel
 * fault is retried on the same batch, a persistent one (and any other failure) fails the run and
 * the actor.
 */
class TrainingSupervisorTest {
  private static final int FEATURES = 10;
  private static final int CLASSES = 3;
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final double FAULT_PROBABILITY = 0.02;
  private static final long FAULT_SEED = 7;

  /** Gaussian blobs around one random centre per class, as 1 x FEATURES "images". */
  static Dataset blobs(long seed, int n) {
    SplittableRandom rnd = new SplittableRandom(seed);
    SplittableRandom centres = new SplittableRandom(1234);
    float[][] c = new float[CLASSES][FEATURES];
    for (float[] row : c) {
      for (int j = 0; j < FEATURES; j++) {
        row[j] = (float) (centres.nextDouble() * 2 - 1);
      }
    }
    float[] x = new float[n * FEATURES];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(CLASSES);
      for (int j = 0; j < FEATURES; j++) {
        double g =
            Math.sqrt(-2 * Math.log(1 - rnd.nextDouble()))
                * Math.cos(2 * Math.PI * rnd.nextDouble());
        x[i * FEATURES + j] = c[y[i]][j] + (float) (0.35 * g);
      }
    }
    return new Dataset(x, y, 1, FEATURES);
  }

  static ModelSpec mlp(int hidden) {
    return ModelSpec.of(
        (ops, alloc) -> {
          SplittableRandom rng = new SplittableRandom(3);
          return Sequential.builder()
              .add("fc1", new Linear(ops, alloc, FEATURES, hidden, rng))
              .add("relu", new ReLU(alloc))
              .add("fc2", new Linear(ops, alloc, hidden, CLASSES, rng))
              .build();
        },
        CrossEntropyLoss::new,
        (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-2)));
  }

  private static void withKit(String config, Consumer<ActorTestKit> test) {
    ActorTestKit kit =
        ActorTestKit.create("training", Zbmd.config(ConfigFactory.parseString(config)));
    try {
      test.accept(kit);
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static Status status(ActorTestKit kit, ActorRef<TrainingSupervisor.Command> run) {
    TestProbe<Status> probe = kit.createTestProbe();
    run.tell(new TrainingSupervisor.GetStatus(probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  @Test
  void trainsToCompletionAndCheckpointsEveryEpoch() {
    withKit(
        "zbmd.gpu.backends = [cpu]",
        kit -> {
          InMemoryCheckpointSink sink = new InMemoryCheckpointSink();
          TestProbe<Result> results = kit.createTestProbe();
          TestProbe<Event> events = kit.createTestProbe();
          ActorRef<TrainingSupervisor.Command> run =
              kit.spawn(
                  TrainingSupervisor.create(
                      mlp(32),
                      blobs(1, 640),
                      blobs(2, 300),
                      TrainingOptions.of(3, 32, 42).withEvaluateEveryEpoch(true),
                      sink,
                      results.getRef(),
                      events.getRef()),
                  "run");
          Status running = status(kit, run);
          assertEquals(CPU0, running.device());
          TrainingCompleted done =
              assertInstanceOf(TrainingCompleted.class, results.receiveMessage(WAIT));
          TrainingSummary s = done.summary();
          assertEquals(3, s.epochs());
          assertEquals(60, s.steps());
          assertEquals(0, s.recoveries());
          assertTrue(s.testAccuracy() > 0.9, () -> "accuracy " + s.testAccuracy());
          assertTrue(s.finalTrainLoss() < 0.5, () -> "loss " + s.finalTrainLoss());
          assertTrue(s.samplesPerSecond() > 0);
          assertEquals("cpu", s.backend());
          assertEquals("cpu:0", s.device());
          assertEquals(3, sink.saved());
          assertEquals(60, sink.latest().orElseThrow().step());
          assertEquals(3, sink.latest().orElseThrow().position().epoch());

          Status after = status(kit, run);
          assertEquals(State.COMPLETED, after.state());
          assertEquals(60, after.step());
          assertEquals(3, after.epoch());
          // The model actor was stopped with the run: its memory is free again.
          GpuExtension gpu = GpuExtension.get(kit.system());
          results.awaitAssert(
              WAIT,
              () -> {
                assertEquals(0, gpu.memory(CPU0).used());
                return null;
              });
        });
  }

  @Test
  void outOfDeviceMemoryHalvesTheMicroBatchAndKeepsTheEffectiveBatch() {
    // 2 MiB: a batch of 1024 through 256 hidden units does not fit; its halves or quarters do.
    withKit(
        """
        zbmd.gpu.backends = [cpu]
        zbmd.gpu.devices.cpu-0.memory-limit = 2 MiB
        """,
        kit -> {
          TestProbe<Result> results = kit.createTestProbe();
          TestProbe<Event> events = kit.createTestProbe();
          ActorRef<TrainingSupervisor.Command> run =
              kit.spawn(
                  TrainingSupervisor.create(
                      mlp(256),
                      blobs(1, 2048),
                      blobs(2, 256),
                      TrainingOptions.of(2, 1024, 42).withEvalBatchSize(128),
                      new InMemoryCheckpointSink(),
                      results.getRef(),
                      events.getRef()),
                  "run");
          BatchSizeReduced reduced =
              events.fishForMessage(
                      WAIT,
                      e ->
                          e instanceof BatchSizeReduced
                              ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes
                                  .complete()
                              : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes
                                  .continueAndIgnore())
                  .stream()
                  .map(BatchSizeReduced.class::cast)
                  .findFirst()
                  .orElseThrow();
          assertEquals(1, reduced.step());
          assertEquals(1024, reduced.batchSize());
          assertEquals(2, reduced.microBatches());
          assertEquals(512, reduced.microBatchSize());

          TrainingCompleted done =
              assertInstanceOf(TrainingCompleted.class, results.receiveMessage(WAIT));
          assertEquals(4, done.summary().steps());
          assertTrue(done.summary().recoveries() > 0);
          Status s = status(kit, run);
          assertTrue(s.microBatches() > 1, s::toString);
          assertEquals(1024, s.batchSize());
          assertTrue(s.microBatchSize() * s.microBatches() >= 1024, s::toString);
          assertTrue(s.recoveries() > 0);
        });
  }

  @Test
  void aLostDeviceIsReplacedAndTrainingResumesFromTheLastCheckpoint() {
    // faulty:0 (over the CPU) is lost at its 1000th op, a few epochs in; cpu:0 takes over.
    withKit(
        """
        zbmd.gpu.backends = [faulty, cpu]
        zbmd.gpu.faulty { delegate = cpu, lost-at-op = 1000 }
        """,
        kit -> {
          InMemoryCheckpointSink sink = new InMemoryCheckpointSink();
          TestProbe<Result> results = kit.createTestProbe();
          TestProbe<Event> events = kit.createTestProbe();
          ActorRef<TrainingSupervisor.Command> run =
              kit.spawn(
                  TrainingSupervisor.create(
                      mlp(32),
                      blobs(1, 640),
                      blobs(2, 300),
                      TrainingOptions.of(4, 32, 42),
                      sink,
                      results.getRef(),
                      events.getRef()),
                  "run");
          Result r = results.receiveMessage(WAIT);
          if (r instanceof TrainingFailed f) {
            throw new AssertionError("training failed: " + f.status(), f.cause());
          }
          TrainingSummary s = ((TrainingCompleted) r).summary();
          assertTrue(s.recoveries() > 0, s::toString);
          assertEquals("cpu:0", s.device());
          assertEquals(4, s.epochs());
          assertEquals(80, s.steps());
          assertTrue(s.testAccuracy() > 0.9, s::toString);
          GpuExtension gpu = GpuExtension.get(kit.system());
          assertEquals(DeviceHealth.LOST, gpu.health(DeviceId.parse("faulty:0")));
          DeviceReplaced replaced =
              events.fishForMessage(
                      WAIT,
                      e ->
                          e instanceof DeviceReplaced
                              ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes
                                  .complete()
                              : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes
                                  .continueAndIgnore())
                  .stream()
                  .map(DeviceReplaced.class::cast)
                  .findFirst()
                  .orElseThrow();
          assertEquals(DeviceId.parse("faulty:0"), replaced.lost());
          assertEquals(CPU0, replaced.replacement());
          assertTrue(replaced.resumedAtStep() > 0, "resumed from a checkpoint: " + replaced);
          assertEquals(State.COMPLETED, status(kit, run).state());

          // The resumed run saw the batches, weights and optimizer state the lost one would have:
          // it ends where a fault-free run ends.
          TrainingSummary faultFree = faultFreeRun(4);
          assertEquals(faultFree.finalTrainLoss(), s.finalTrainLoss(), 0.02);
          assertEquals(faultFree.testAccuracy(), s.testAccuracy(), 0.02);
        });
  }

  private static TrainingSummary faultFreeRun(int epochs) {
    TrainingSummary[] out = new TrainingSummary[1];
    withKit(
        "zbmd.gpu.backends = [cpu]",
        kit -> {
          TestProbe<Result> results = kit.createTestProbe();
          kit.spawn(
              TrainingSupervisor.create(
                  mlp(32),
                  blobs(1, 640),
                  blobs(2, 300),
                  TrainingOptions.of(epochs, 32, 42),
                  new InMemoryCheckpointSink(),
                  results.getRef()),
              "run");
          out[0] =
              assertInstanceOf(TrainingCompleted.class, results.receiveMessage(WAIT)).summary();
        });
    return out[0];
  }

  /** Every event of a run, for counting after it ended. */
  private static ActorRef<Event> collector(ActorTestKit kit, Queue<Event> into) {
    return kit.spawn(
        Behaviors.receiveMessage(
            e -> {
              into.add(e);
              return Behaviors.same();
            }));
  }

  @Test
  void transientKernelFaultsAreRetriedAndTrainingEndsWhereAFaultFreeRunEnds() {
    // gemm fails with probability 0.02 on faulty:0: about 10% of steps hit a failure (a step runs
    // several gemms). gemm runs in the forward and backward passes only, so every retry is exact.
    withKit(
        """
        zbmd.gpu.backends = [faulty]
        zbmd.gpu.faulty { delegate = cpu, failure-probability = %s, ops = [gemm], seed = %d }
        """
            .formatted(FAULT_PROBABILITY, FAULT_SEED),
        kit -> {
          Queue<Event> seen = new ConcurrentLinkedQueue<>();
          TestProbe<Result> results = kit.createTestProbe();
          ActorRef<TrainingSupervisor.Command> run =
              kit.spawn(
                  TrainingSupervisor.create(
                      mlp(32),
                      blobs(1, 640),
                      blobs(2, 300),
                      TrainingOptions.of(4, 32, 42),
                      new InMemoryCheckpointSink(),
                      results.getRef(),
                      collector(kit, seen)),
                  "run");
          Result r = results.receiveMessage(WAIT);
          if (r instanceof TrainingFailed f) {
            throw new AssertionError("training failed: " + f.status(), f.cause());
          }
          TrainingSummary s = ((TrainingCompleted) r).summary();
          assertEquals(4, s.epochs());
          assertEquals(80, s.steps());
          assertTrue(s.recoveries() > 0, s::toString);
          results.awaitAssert(
              WAIT,
              () -> {
                long retried =
                    seen.stream()
                        .filter(e -> e instanceof StepRetried || e instanceof EvaluationRetried)
                        .count();
                assertEquals(s.recoveries(), retried);
                return null;
              });
          long stepRetries = seen.stream().filter(StepRetried.class::isInstance).count();
          // Failed step attempts over all step attempts: about 10%.
          double failureRate = (double) stepRetries / (s.steps() + stepRetries);
          TrainingSummary faultFree = faultFreeRun(4);
          System.out.printf(
              "kernel faults: %d of %d step attempts failed (%.1f%%), recoveries %d,"
                  + " final loss %.6f vs fault-free %.6f (diff %.2e)%n",
              stepRetries,
              s.steps() + stepRetries,
              100 * failureRate,
              s.recoveries(),
              s.finalTrainLoss(),
              faultFree.finalTrainLoss(),
              Math.abs(s.finalTrainLoss() - faultFree.finalTrainLoss()));
          assertTrue(failureRate > 0.05 && failureRate < 0.2, () -> "failure rate " + failureRate);
          assertEquals(faultFree.finalTrainLoss(), s.finalTrainLoss(), 0.02);
          assertEquals(faultFree.testAccuracy(), s.testAccuracy(), 0.02);
          assertEquals(State.COMPLETED, status(kit, run).state());
        });
  }

  @Test
  void aPersistentKernelFailureEscalatesAfterTheRetries() {
    // Every gemm fails: the first step is retried maxConsecutiveRetries times, then the run fails.
    withKit(
        """
        zbmd.gpu.backends = [faulty]
        zbmd.gpu.faulty { delegate = cpu, failure-probability = 1.0, ops = [gemm] }
        """,
        kit -> {
          Queue<Event> seen = new ConcurrentLinkedQueue<>();
          TestProbe<Result> results = kit.createTestProbe();
          ActorRef<TrainingSupervisor.Command> run =
              kit.spawn(
                  TrainingSupervisor.create(
                      mlp(32),
                      blobs(1, 640),
                      blobs(2, 300),
                      TrainingOptions.of(4, 32, 42).withMaxConsecutiveRetries(2),
                      new InMemoryCheckpointSink(),
                      results.getRef(),
                      collector(kit, seen)),
                  "run");
          TrainingFailed failed =
              assertInstanceOf(TrainingFailed.class, results.receiveMessage(WAIT));
          assertEquals(State.FAILED, failed.status().state());
          assertEquals(0, failed.status().step());
          assertEquals(2, failed.status().recoveries());
          assertTrue(
              failed.cause() instanceof KernelException
                  || failed.cause().getCause() instanceof KernelException,
              () -> "cause " + failed.cause());
          TestProbe<Object> watcher = kit.createTestProbe();
          watcher.expectTerminated(run, WAIT);
          results.awaitAssert(
              WAIT,
              () -> {
                List<StepRetried> retried =
                    seen.stream()
                        .filter(StepRetried.class::isInstance)
                        .map(StepRetried.class::cast)
                        .toList();
                assertEquals(2, retried.size());
                assertEquals(1, retried.get(0).step());
                assertEquals(1, retried.get(0).attempt());
                assertEquals(2, retried.get(1).attempt());
                return null;
              });
        });
  }
}
