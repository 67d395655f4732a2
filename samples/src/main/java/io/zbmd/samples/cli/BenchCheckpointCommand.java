package io.zbmd.samples.cli;

import io.zbmd.benchmarks.checkpoint.CheckpointStallBenchmark;
import io.zbmd.benchmarks.checkpoint.RecoveryBenchmark;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.MnistDataset;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.training.TrainingOptions;
import io.zbmd.samples.mnist.BundledMnist;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd bench checkpoint}: checkpoint stall and device-loss recovery time. */
@Command(
    name = "checkpoint",
    mixinStandardHelpOptions = true,
    description = {
      "The step-time stall of a checkpoint: the MLP 784-H-10 with Adam on the bundled MNIST,",
      "batch 64, trained with no checkpoints within the epoch (baseline), with zbmd's journaled",
      "checkpoints (written and journaled while training goes on) and with the same checkpoints",
      "made blocking, in the same JVM. Then the recovery time from an injected DeviceLostException",
      "(testkit's faulty device over the CPU) to the next completed step."
    })
final class BenchCheckpointCommand implements Callable<Integer> {
  @Option(names = "--every", description = "Checkpoint every N steps. Default: ${DEFAULT-VALUE}.")
  int every = 25;

  @Option(names = "--hidden", description = "Hidden units of the MLP. Default: ${DEFAULT-VALUE}.")
  int hidden = 512;

  @Option(names = "--epochs", description = "Epochs per stall run. Default: ${DEFAULT-VALUE}.")
  int epochs = 2;

  @Option(names = "--quick", description = "One epoch and one recovery: a smoke test.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    MnistDataset mnist = BundledMnist.load();
    ModelSpec spec =
        ModelSpec.of(
            TrainCommand.network("mlp", hidden, 42),
            CrossEntropyLoss::new,
            (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-3)));
    TrainingOptions options = TrainingOptions.of(quick ? 1 : epochs, 64, 42);
    CheckpointStallBenchmark.run(spec, mnist.train(), mnist.test(), options, every)
        .print(System.out);
    // The device is lost at these ops (a step of this MLP is about 24 ops, 125 steps an epoch):
    // in the first epoch, and in the second, at several distances from the last checkpoint.
    long[] lostAt = quick ? new long[] {3_000} : new long[] {1_000, 2_000, 3_000, 4_500, 6_000};
    RecoveryBenchmark.run(
            spec, mnist.train(), mnist.test(), TrainingOptions.of(2, 64, 42).withCheckpointEvery(every), lostAt)
        .print(System.out);
    return 0;
  }
}
