package io.zbmd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.training.TrainingOptions;
import io.zbmd.ml.training.TrainingSupervisor;
import io.zbmd.runtime.Zbmd;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole run through the journal: a supervisor saving into a {@link CheckpointedRun}'s sink and
 * reporting through a {@link JournalingListener}, on testkit's faulty device, which is lost
 * mid-run. The journal ends up with the epochs, the device migration, the checkpoints (with the
 * loss) and, once recorded, the completion.
 */
class JournaledTrainingTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dataDir;

  private static Dataset data(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n * 8];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(2);
      for (int j = 0; j < 8; j++) {
        x[i * 8 + j] = (float) (rng.nextDouble() + (y[i] == 1 ? 0.5 : -0.5));
      }
    }
    return new Dataset(x, y, 2, 4);
  }

  private static ModelSpec spec() {
    return ModelSpec.of(
        (ops, alloc) -> {
          SplittableRandom rng = new SplittableRandom(3);
          return Sequential.builder()
              .add("fc1", new Linear(ops, alloc, 8, 16, rng))
              .add("relu", new ReLU(alloc))
              .add("fc2", new Linear(ops, alloc, 16, 2, rng))
              .build();
        },
        CrossEntropyLoss::new,
        (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-2)));
  }

  @Test
  void aRunWithADeviceLossIsJournaledEndToEnd() throws Exception {
    ActorTestKit kit =
        ActorTestKit.create(
            "journaled",
            Zbmd.config(
                ConfigFactory.parseMap(Map.of("zbmd.data-dir", dataDir.toString()))
                    .withFallback(
                        ConfigFactory.parseString(
                            "zbmd.gpu.backends = [faulty, cpu]\n"
                                + "zbmd.gpu.faulty { delegate = cpu, lost-at-op = 600 }"))));
    try {
      CheckpointedRun run =
          CheckpointedRun.open(kit.system(), "lossy", Map.of("model", "8-16-2"))
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      TestProbe<TrainingSupervisor.Result> results = kit.createTestProbe();
      TestProbe<TrainingSupervisor.Event> events = kit.createTestProbe();
      kit.spawn(
          TrainingSupervisor.create(
              spec(),
              data(1, 320),
              data(2, 64),
              TrainingOptions.of(3, 32, 42).withCheckpointEvery(4),
              run.sink(),
              results.getRef(),
              kit.spawn(JournalingListener.create(run.journal(), events.getRef()), "journaling")),
          "training");
      TrainingSupervisor.TrainingCompleted done =
          assertInstanceOf(TrainingSupervisor.TrainingCompleted.class, results.receiveMessage(WAIT));
      assertEquals(30, done.summary().steps());
      assertTrue(done.summary().recoveries() >= 1, done.summary()::toString);
      run.complete(done.summary().steps(), Map.of("test_accuracy", done.summary().testAccuracy()))
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);

      TestProbe<RunState> state = kit.createTestProbe();
      run.journal().tell(new TrainingJournal.GetRun(state.getRef()));
      RunState s = state.receiveMessage(WAIT);
      assertEquals(RunStatus.COMPLETED, s.status());
      assertEquals(3, s.epochsCompleted());
      assertEquals(30, s.lastStep());
      assertEquals(1, s.deviceMigrations(), s::toString);
      assertEquals(3, s.checkpoints().size(), "keep-last 3: " + s.checkpoints());
      CheckpointEntry last = s.latestCheckpoint().orElseThrow();
      assertEquals(30, last.step());
      assertTrue(last.metrics().containsKey("loss"), last::toString);
      assertTrue(last.metrics().containsKey("test_accuracy"), last::toString);
    } finally {
      kit.shutdownTestKit();
    }
  }
}
