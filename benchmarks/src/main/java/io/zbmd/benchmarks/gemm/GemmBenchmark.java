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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Square sgemm GFLOP/s at several sizes, in one JVM: (a) the backend's stream called directly,
 * (b) the same work sent to a device actor on the device's pinned dispatcher and awaited, one
 * message per gemm, and for the CPU backend (c) plain OpenBLAS {@code cblas_sgemm} on off-heap
 * memory. Prints (b)/(a) (the actor overhead) and (a)/(c) (the backend overhead).
 *
 * <pre>{@code
 * GemmReport r = GemmBenchmark.run(new GemmBenchmark.Options("cpu", List.of(512, 1024, 2048), false));
 * r.print(System.out);
 * }</pre>
 */
public final class GemmBenchmark {
  /** What to measure. {@code quick} shortens every phase, for smoke tests. */
  public record Options(String backend, List<Integer> sizes, boolean quick) {}

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
          System.getProperty("java.vm.name") + " " + Runtime.version(), rows);
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
    ActorRef<GemmActor.Command> actor = system.systemActorOf(
        Behaviors.setup(ctx -> {
          ActorRef<GemmActor.Command> worker =
              gpu.spawn(ctx, GemmActor.create(stream, gemm), "gemm-" + n, id);
          return Behaviors.receiveMessage((GemmActor.Command m) -> {
            worker.tell(m);
            return Behaviors.same();
          });
        }), "gemm-bench-" + n, org.apache.pekko.actor.typed.Props.empty());

    FloatPointer pa = new FloatPointer(hostA);
    FloatPointer pb = new FloatPointer(hostB);
    FloatPointer pc = new FloatPointer(count);
    boolean openBlasBaseline = id.backend().equals("cpu");
    Runnable direct = () -> join(stream.submit(gemm));
    Runnable viaActor = () -> join(AskPattern.<GemmActor.Command, GemmActor.Done>ask(
        actor, GemmActor.Run::new, Duration.ofMinutes(1), system.scheduler()));
    Runnable plain = () -> cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1f,
        pa, n, pb, n, 0f, pc, n);

    double flops = 2.0 * n * n * n;
    for (Runnable r : List.of(direct, viaActor, plain)) {
      time(r, 3); // warm-up: JIT, OpenBLAS thread start, page faults
    }
    // Repetitions for about 0.3 s (quick: 0.05 s) per sample, calibrated on this machine.
    double perGemm = time(direct, 3) / 3;
    long reps = Math.max(2, (long) ((options.quick() ? 0.05e9 : 0.3e9) / perGemm));
    int rounds = options.quick() ? 2 : 9;
    double[] directG = new double[rounds];
    double[] actorG = new double[rounds];
    double[] plainG = new double[rounds];
    for (int round = 0; round < rounds; round++) {
      // Interleaved so that drift (thermal, other load) hits every path alike.
      directG[round] = flops * reps / time(direct, reps);
      actorG[round] = flops * reps / time(viaActor, reps);
      plainG[round] = openBlasBaseline ? flops * reps / time(plain, reps) : Double.NaN;
    }
    a.release();
    b.release();
    c.release();
    pa.deallocate();
    pb.deallocate();
    pc.deallocate();
    return new GemmReport.Row(n, reps, median(directG), median(actorG), median(plainG),
        directG, actorG, plainG);
  }

  private static void join(CompletionStage<?> stage) {
    stage.toCompletableFuture().join();
  }

  /** Nanoseconds for {@code reps} runs; flops / ns = GFLOP/s. */
  private static double time(Runnable r, long reps) {
    long t0 = System.nanoTime();
    for (long i = 0; i < reps; i++) {
      r.run();
    }
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
