package io.zbmd.benchmarks.gemm;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Square sgemm GFLOP/s at several sizes, in one JVM: (a) the backend's stream called directly,
 * (b) the same work sent to a device actor on the device's pinned dispatcher and awaited, one
 * message per gemm, and (c) a baseline without zbmd: for the CPU backend plain OpenBLAS {@code
 * cblas_sgemm} on off-heap memory, for CUDA the same sgemm kernel launched straight through the
 * driver API ({@link CudaNativeGemm}). Prints (b)/(a) (the actor overhead) and (a)/(c) (the
 * backend overhead). With {@code inFlight} > 1 each path keeps that many gemms in flight (stages,
 * asks, launches) instead of waiting for each: the throughput of a pipelined caller rather than
 * the latency of one call. Every round of every path is kept; the medians are compared.
 *
 * <pre>{@code
 * GemmReport r = GemmBenchmark.run(new GemmBenchmark.Options("cpu", List.of(512, 1024, 2048), false));
 * r.print(System.out);
 * }</pre>
 */
public final class GemmBenchmark {
  /**
   * What to measure. {@code quick} shortens every phase, for smoke tests; {@code inFlight} is how
   * many gemms each path keeps in flight (1: wait for each).
   */
  public record Options(String backend, List<Integer> sizes, boolean quick, int inFlight) {
    public Options {
      if (inFlight < 1) {
        throw new IllegalArgumentException("inFlight must be >= 1, got " + inFlight);
      }
    }

    /** One gemm in flight at a time. */
    public Options(String backend, List<Integer> sizes, boolean quick) {
      this(backend, sizes, quick, 1);
    }
  }

  private GemmBenchmark() {}

  public static GemmReport run(Options options) throws Exception {
    String backendsConfig = "zbmd.gpu.backends = [" + options.backend() + "]";
    ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "bench-gemm",
        ConfigFactory.parseString(backendsConfig));
    try {
      GpuExtension gpu = GpuExtension.get(system);
      Device device = gpu.devices().stream()
          .filter(d -> d.id().backend().equals(options.backend()))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException("backend '" + options.backend()
              + "' has no usable device here: " + gpu.backends()));
      List<GemmReport.Row> rows = new ArrayList<>();
      for (int n : options.sizes()) {
        rows.add(measure(system, gpu, device.id(), n, options));
      }
      return new GemmReport(device.toString(), Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.name") + " " + Runtime.version(), baselineName(device.id()),
          options.inFlight(), rows);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static GemmReport.Row measure(ActorSystem<Void> system, GpuExtension gpu, DeviceId id,
      int n, Options options) throws Exception {
    int count = n * n;
    float[] hostA = random(count, 1);
    float[] hostB = random(count, 2);
    DeviceBuffer a = gpu.allocate(id, DType.FLOAT32, count, "bench-gemm");
    DeviceBuffer b = gpu.allocate(id, DType.FLOAT32, count, "bench-gemm");
    DeviceBuffer c = gpu.allocate(id, DType.FLOAT32, count, "bench-gemm");
    DeviceStream stream = gpu.stream(id);
    stream.submit(ops -> {
      ops.copyFromHost(hostA, 0, a, 0, count);
      ops.copyFromHost(hostB, 0, b, 0, count);
      return null;
    }).toCompletableFuture().get();
    DeviceStream.Work<Void> gemm = ops -> {
      ops.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      return null;
    };
    // The device actor itself, on the device's pinned dispatcher: the ask goes straight to it.
    ActorRef<GemmActor.Command> actor = system.systemActorOf(
        GemmActor.create(stream, gemm), "gemm-" + n, gpu.props(id));

    int window = options.inFlight();
    Path direct = reps -> pipelined(reps, window, () -> stream.submit(gemm));
    Path viaActor = reps -> pipelined(reps, window, () -> AskPattern.<GemmActor.Command, GemmActor.Done>ask(
        actor, GemmActor.Run::new, Duration.ofMinutes(1), system.scheduler()));
    AutoCloseable baselineResources;
    Path baseline;
    if (id.backend().equals("cpu")) {
      FloatPointer pa = new FloatPointer(hostA);
      FloatPointer pb = new FloatPointer(hostB);
      FloatPointer pc = new FloatPointer(count);
      baseline = reps -> {
        for (long i = 0; i < reps; i++) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
        }
      };
      baselineResources = () -> {
        pa.deallocate();
        pb.deallocate();
        pc.deallocate();
      };
    } else if (id.backend().equals("cuda")) {
      CudaNativeGemm nativeGemm = new CudaNativeGemm(id.index(), hostA, hostB, n, window);
      baseline = nativeGemm::run;
      baselineResources = nativeGemm;
    } else {
      baseline = null;
      baselineResources = () -> { };
    }

    double flops = 2.0 * n * n * n;
    try {
      for (Path p : Arrays.asList(direct, viaActor, baseline)) {
        if (p != null) {
          time(p, 3); // warm-up: JIT, thread start, page faults, module load
        }
      }
      // Repetitions for about 0.3 s (quick: 0.05 s) per sample, calibrated on this machine.
      double perGemm = time(direct, 3) / 3;
      long reps = Math.max(2, (long) ((options.quick() ? 0.05e9 : 0.3e9) / perGemm));
      int rounds = options.quick() ? 2 : 9;
      double[] directG = new double[rounds];
      double[] actorG = new double[rounds];
      double[] baselineG = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        // Interleaved so that drift (thermal, other load) hits every path alike.
        directG[round] = flops * reps / time(direct, reps);
        actorG[round] = flops * reps / time(viaActor, reps);
        baselineG[round] = baseline != null ? flops * reps / time(baseline, reps) : Double.NaN;
      }
      double error = checkProduct(stream, c, hostA, hostB, n);
      return new GemmReport.Row(n, reps, median(directG), median(actorG), median(baselineG),
          error, directG, actorG, baselineG);
    } finally {
      a.release();
      b.release();
      c.release();
      baselineResources.close();
    }
  }

  /** One measured path: runs {@code reps} gemms and returns when they are all done. */
  @FunctionalInterface
  private interface Path {
    void run(long reps) throws Exception;
  }

  /** {@code reps} calls of {@code start}, keeping at most {@code window} stages outstanding. */
  private static void pipelined(long reps, int window, Supplier<CompletionStage<?>> start) {
    ArrayDeque<CompletionStage<?>> outstanding = new ArrayDeque<>(window);
    for (long i = 0; i < reps; i++) {
      if (outstanding.size() == window) {
        join(outstanding.poll());
      }
      outstanding.add(start.get());
    }
    while (!outstanding.isEmpty()) {
      join(outstanding.poll());
    }
  }

  /**
   * The largest error of 64 sampled entries of the device's C against double-precision dot
   * products, relative to the sum of the terms' magnitudes (as the conformance suite measures).
   */
  private static double checkProduct(DeviceStream stream, DeviceBuffer c, float[] a, float[] b, int n)
      throws Exception {
    float[] result = new float[n * n];
    stream.submit(ops -> {
      ops.copyToHost(c, 0, result, 0, n * n);
      return null;
    }).toCompletableFuture().get();
    Random r = new Random(3);
    double worst = 0;
    for (int s = 0; s < 64; s++) {
      int i = r.nextInt(n);
      int j = r.nextInt(n);
      double dot = 0;
      double mag = 0;
      for (int p = 0; p < n; p++) {
        double t = (double) a[i * n + p] * b[p * n + j];
        dot += t;
        mag += Math.abs(t);
      }
      worst = Math.max(worst, Math.abs(result[i * n + j] - dot) / Math.max(mag, 1e-30));
    }
    return worst;
  }

  private static String baselineName(DeviceId id) {
    return switch (id.backend()) {
      case "cpu" -> "openblas";
      case "cuda" -> "native";
      default -> "baseline";
    };
  }

  private static void join(CompletionStage<?> stage) {
    stage.toCompletableFuture().join();
  }

  /** Nanoseconds for {@code reps} gemms; flops / ns = GFLOP/s. */
  private static double time(Path p, long reps) throws Exception {
    long t0 = System.nanoTime();
    p.run(reps);
    return System.nanoTime() - t0;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static float[] random(int count, long seed) {
    Random r = new Random(seed);
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = r.nextFloat() * 2 - 1;
    }
    return v;
  }
}
