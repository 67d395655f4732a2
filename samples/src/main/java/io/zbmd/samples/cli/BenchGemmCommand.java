package io.zbmd.samples.cli;

import io.zbmd.benchmarks.gemm.GemmBenchmark;
import io.zbmd.benchmarks.gemm.GemmReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd bench gemm}: sgemm through the backend directly and through a device actor. */
@Command(
    name = "gemm",
    mixinStandardHelpOptions = true,
    description = {
      "Square sgemm GFLOP/s at 512, 1024 and 2048 in one JVM: (a) the backend's stream called",
      "directly, (b) the same work sent to a device actor on its pinned dispatcher and awaited",
      "(one message per gemm), and (c) a baseline without zbmd: plain OpenBLAS on the CPU, the",
      "same kernel launched through the CUDA driver API on cuda. Prints (b)/(a) and (a)/(c)."
    })
final class BenchGemmCommand implements Callable<Integer> {
  @Option(names = "--backend", defaultValue = "cpu",
      description = "Backend to measure (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--sizes", split = ",", defaultValue = "512,1024,2048",
      description = "Matrix sizes n (default: ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write every figure to FILE.")
  Path json;

  @Option(names = "--in-flight", defaultValue = "1",
      description = "Gemms each path keeps in flight (default: ${DEFAULT-VALUE}: wait for each).")
  int inFlight;

  @Option(names = "--quick", description = "Short run for a smoke test; figures are indicative.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    GemmReport report = GemmBenchmark.run(new GemmBenchmark.Options(backend, sizes, quick, inFlight));
    report.print(System.out);
    if (json != null) {
      report.writeJson(json);
      System.out.println("wrote " + json.toAbsolutePath());
    }
    return 0;
  }
}
