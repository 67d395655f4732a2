package io.zbmd.samples.cli;

import io.zbmd.benchmarks.messaging.MessagingBenchmark;
import io.zbmd.benchmarks.messaging.MessagingReport;
import io.zbmd.benchmarks.messaging.Options;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd bench messaging}: zbmd's default configuration against raw Pekko's. */
@Command(
    name = "messaging",
    mixinStandardHelpOptions = true,
    description = {
      "Message passing with zbmd's defaults and with raw Pekko defaults, side by side in one JVM:",
      "ping-pong round trips/s, a ring of 1,000 actors (hops/s), 2 senders into one receiver",
      "(msgs/s) and one-way tell latency percentiles. Takes about 1.5 minutes (--quick: ~6 s)."
    })
final class BenchMessagingCommand implements Callable<Integer> {
  @Option(names = "--json", paramLabel = "FILE", description = "Also write every figure to FILE.")
  Path json;

  @Option(names = "--quick", description = "Short run for a smoke test; figures are indicative.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    Options options = quick ? Options.quick() : Options.defaults();
    MessagingReport report = MessagingBenchmark.run(options, System.err::println);
    report.print(System.out);
    if (json != null) {
      report.writeJson(json);
      System.out.println("wrote " + json.toAbsolutePath());
    }
    return 0;
  }
}
