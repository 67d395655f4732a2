package io.zbmd.samples.cli;

import io.zbmd.benchmarks.allreduce.AllReduceBenchmark;
import io.zbmd.benchmarks.allreduce.AllReduceReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd bench allreduce}: the ring all-reduce across local JVMs against raw TCP. */
@Command(
    name = "allreduce",
    mixinStandardHelpOptions = true,
    description = {
      "Bus bandwidth of zbmd's ring all-reduce (fp32 sum) across N local node JVMs on",
      "127.0.0.1, next to raw loopback TCP measured in the same run: one plain socket pair",
      "moving the bytes a link carries, and N pairs at once. Prints busbw/raw."
    })
final class BenchAllReduceCommand implements Callable<Integer> {
  @Option(names = "--nodes", split = ",", defaultValue = "2,3,4",
      description = "Ring sizes (default: ${DEFAULT-VALUE}).")
  List<Integer> nodes;

  @Option(names = "--mib", defaultValue = "100",
      description = "MiB all-reduced per round (default: ${DEFAULT-VALUE}).")
  int mib;

  @Option(names = "--rounds", defaultValue = "5",
      description = "Timed rounds per ring size (default: ${DEFAULT-VALUE}); the median counts.")
  int rounds;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write every figure to FILE.")
  Path json;

  @Override
  public Integer call() throws Exception {
    AllReduceBenchmark.Options options;
    try {
      options = new AllReduceBenchmark.Options(nodes, mib, rounds);
    } catch (IllegalArgumentException e) {
      System.err.println("zbmd: error: " + e.getMessage());
      return 2;
    }
    AllReduceReport report = AllReduceBenchmark.run(options);
    report.print(System.out);
    if (json != null) {
      report.writeJson(json);
      System.out.println("wrote " + json.toAbsolutePath());
    }
    return 0;
  }
}
