package io.zbmd.benchmarks.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.training.TrainingOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checkpoint harnesses on a tiny problem: the figures they report are consistent. */
class CheckpointBenchmarksTest {
  private static Dataset synthetic(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n * 16];
    int[] y = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextDouble();
    }
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(4);
    }
    return new Dataset(x, y, 4, 4);
  }

  private static ModelSpec spec() {
    return ModelSpec.of(
        (ops, alloc) -> {
          SplittableRandom rng = new SplittableRandom(3);
          return Sequential.builder()
              .add("fc1", new Linear(ops, alloc, 16, 32, rng))
              .add("relu", new ReLU(alloc))
              .add("fc2", new Linear(ops, alloc, 32, 4, rng))
              .build();
        },
        CrossEntropyLoss::new,
        (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults()));
  }

  @Test
  @Timeout(120)
  void theStallBenchmarkComparesThreeModesOfTheSameRun() throws Exception {
    CheckpointStallBenchmark.Report r =
        CheckpointStallBenchmark.run(
            spec(), synthetic(1, 640), synthetic(2, 64), TrainingOptions.of(1, 16, 42), 5);
    assertEquals(3, r.modes().size());
    assertEquals("none", r.modes().get(0).mode());
    // 40 steps: checkpoints at 5, 10, ..., 40 (the last one also ends the epoch).
    assertEquals(8, r.modes().get(1).checkpoints());
    assertEquals(8, r.modes().get(2).checkpoints());
    assertTrue(r.modes().get(1).bytes() > 32 * 16 * 4, r::toString);
    assertTrue(r.modes().get(1).afterCheckpointMillis() > 0, r::toString);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    r.print(new PrintStream(out, true, StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("stall: journaled"), out::toString);
  }

  @Test
  @Timeout(120)
  void theRecoveryBenchmarkResumesFromACheckpointBeforeTheLoss() throws Exception {
    RecoveryBenchmark.Report r =
        RecoveryBenchmark.run(
            spec(),
            synthetic(1, 640),
            synthetic(2, 64),
            TrainingOptions.of(2, 16, 42).withCheckpointEvery(10),
            700);
    RecoveryBenchmark.Sample s = r.samples().get(0);
    assertTrue(s.resumedAtStep() <= s.lostAtStep(), s::toString);
    assertTrue(s.lostAtStep() - s.resumedAtStep() < 10, s::toString);
    assertTrue(s.recoveryMillis() > 0 && s.gapMillis() >= s.recoveryMillis(), s::toString);
  }
}
