package io.zbmd.samples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code zbmd bench}: the benchmark harnesses, each against a baseline measured in the same run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmarks. Each prints zbmd's figures next to a baseline measured in the same JVM",
      "(raw Pekko, a direct library call) and their ratio."
    },
    subcommands = {
      BenchMessagingCommand.class,
      BenchGemmCommand.class,
      BenchTrainCommand.class,
      BenchCheckpointCommand.class,
      BenchAllReduceCommand.class
    })
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
