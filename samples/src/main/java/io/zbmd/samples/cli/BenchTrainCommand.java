package io.zbmd.samples.cli;

import io.zbmd.benchmarks.train.TrainBenchmark;
import io.zbmd.benchmarks.train.TrainReport;
import io.zbmd.samples.mnist.BundledMnist;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd bench train}: steady-state training samples/s next to the PyTorch anchors. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Steady-state training samples/s on the bundled MNIST training set, batch 64: the MLP",
      "784-128-10 with SGD (lr 0.1) and with Adam (lr 1e-3), and the CNN (conv 5x5x16, max-pool 2,",
      "conv 5x5x32, max-pool 2, linear 512->10) with SGD. Each step is one submitted work (upload,",
      "zeroGrad, forward, loss, backward, optimizer step), awaited; median of rounds of whole epochs.",
      "Printed next to PyTorch anchors measured earlier on this machine (PyTorch 1.13 CPU,",
      "2 threads): constants, not measured in the same run."
    })
final class BenchTrainCommand implements Callable<Integer> {
  @Option(names = "--backend", defaultValue = "cpu",
      description = "Backend to measure (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write every figure to FILE.")
  Path json;

  @Option(names = "--quick", description = "Short run for a smoke test; figures are indicative.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    TrainBenchmark.Options options =
        quick ? TrainBenchmark.Options.quick(backend) : TrainBenchmark.Options.defaults(backend);
    TrainReport report = TrainBenchmark.run(options, BundledMnist.load().train());
    report.print(System.out);
    if (json != null) {
      report.writeJson(json);
      System.out.println("wrote " + json.toAbsolutePath());
    }
    return 0;
  }
}
