package io.zbmd.benchmarks.train;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Conv2d;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Flatten;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.MaxPool2d;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.nn.Unflatten;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.optim.SGD;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.runtime.Zbmd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Steady-state training throughput (samples/s) of three workloads on one device, next to the
 * PyTorch anchors for the same workloads: the MLP 784-128-10 with SGD (lr 0.1), the same MLP with
 * Adam (lr 1e-3), and the CNN (conv 5×5×16, ReLU, max-pool 2, conv 5×5×32, ReLU, max-pool 2,
 * linear 512→10) with SGD (lr 0.1), batch 64 by default.
 *
 * <p>Each step is one submitted work, awaited: upload the batch (assembled on the host from a
 * seeded shuffle of the dataset), zero the gradients, forward, loss, backward, optimizer step, and
 * read the loss back. After at least {@code warmupSteps} steps and {@code warmupSeconds} (JIT,
 * caches, first-shape allocations), each of {@code rounds} rounds times {@code stepsPerRound} steps
 * (by default whole epochs of full batches, as many as make a round last at least {@code
 * roundSeconds}, calibrated after the warm-up); the report gives the median over rounds.
 *
 * <p>The anchors ({@link #PYTORCH_ANCHORS}) are constants measured earlier on this machine with
 * PyTorch 1.13 on the CPU, 2 threads, batch 64, 8,000 training digits; they are not measured in the
 * same run.
 *
 * <pre>{@code
 * TrainReport r = TrainBenchmark.run(TrainBenchmark.Options.defaults("cpu"), mnistTrain);
 * r.print(System.out);
 * }</pre>
 */
public final class TrainBenchmark {
  /** Where the anchors come from, as printed next to them. */
  public static final String ANCHOR_SOURCE = "PyTorch 1.13 CPU, 2 threads, batch 64, 8,000 training"
      + " digits, measured earlier on this machine (constants, not measured in this run)";

  /** A workload: its name, the model, the optimizer and its learning rate, the PyTorch anchor. */
  public enum Workload {
    MLP_SGD("mlp-sgd", "mlp 784-128-10", "sgd", 0.1, 83_900),
    MLP_ADAM("mlp-adam", "mlp 784-128-10", "adam", 1e-3, 61_700),
    CNN_SGD("cnn-sgd", "cnn conv5x5x16-pool-conv5x5x32-pool-fc512x10", "sgd", 0.1, 6_300);

    public final String label;
    public final String model;
    public final String optimizer;
    public final double lr;
    /** PyTorch samples/s for this workload at batch 64 (see {@link #ANCHOR_SOURCE}). */
    public final double pytorch;

    Workload(String label, String model, String optimizer, double lr, double pytorch) {
      this.label = label;
      this.model = model;
      this.optimizer = optimizer;
      this.lr = lr;
      this.pytorch = pytorch;
    }
  }

  /**
   * What to measure. {@code stepsPerRound} 0 means whole epochs of full batches of the dataset, as
   * many as last at least {@code roundSeconds}; the warm-up runs at least {@code warmupSteps} steps
   * and at least {@code warmupSeconds}.
   */
  public record Options(String backend, int batch, int warmupSteps, double warmupSeconds,
      int rounds, int stepsPerRound, double roundSeconds, long seed, List<Workload> workloads) {
    public Options {
      if (batch < 1 || warmupSteps < 0 || rounds < 1 || stepsPerRound < 0) {
        throw new IllegalArgumentException("batch " + batch + ", warm-up " + warmupSteps
            + ", rounds " + rounds + ", steps per round " + stepsPerRound);
      }
      workloads = List.copyOf(workloads);
    }

    /**
     * Batch 64, a warm-up of at least 30 steps and 2 s, 7 rounds of whole epochs lasting at least
     * 1 s each, all three workloads.
     */
    public static Options defaults(String backend) {
      return new Options(backend, 64, 30, 2.0, 7, 0, 1.0, 1, List.of(Workload.values()));
    }

    /** A smoke test: 3 warm-up steps, 2 rounds of 5 steps. Figures are indicative only. */
    public static Options quick(String backend) {
      return new Options(backend, 64, 3, 0, 2, 5, 0, 1, List.of(Workload.values()));
    }
  }

  private TrainBenchmark() {}

  public static TrainReport run(Options options, Dataset train) throws Exception {
    if (train.size() < options.batch()) {
      throw new IllegalArgumentException("the dataset has " + train.size()
          + " samples, fewer than one batch of " + options.batch());
    }
    int epoch = train.size() / options.batch();
    String backendsConfig = "zbmd.gpu.backends = [" + options.backend() + "]";
    ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "bench-train",
        ConfigFactory.parseString(backendsConfig));
    try {
      GpuExtension gpu = GpuExtension.get(system);
      Device device = gpu.devices().stream()
          .filter(d -> d.id().backend().equals(options.backend()))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException("backend '" + options.backend()
              + "' has no usable device here: " + gpu.backends()));
      List<TrainReport.Row> rows = new ArrayList<>();
      for (Workload w : options.workloads()) {
        rows.add(measure(gpu, device.id(), w, train, epoch, options));
      }
      return new TrainReport(device.toString(), Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.name") + " " + Runtime.version(), options.batch(),
          train.size(), ANCHOR_SOURCE, rows);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** The network of {@code w}, parameter names as {@code zbmd train}'s (and PyTorch's). */
  static Sequential network(Ops ops, Allocator alloc, Workload w, int rows, int cols, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    if (w == Workload.CNN_SGD) {
      int h = ((rows - 4) / 2 - 4) / 2;
      int wd = ((cols - 4) / 2 - 4) / 2;
      return Sequential.builder()
          .add("unflatten", new Unflatten(1, 1, rows, cols))
          .add("conv1", new Conv2d(ops, alloc, 1, 16, 5, rng))
          .add("relu1", new ReLU(alloc))
          .add("pool1", new MaxPool2d(alloc, 2))
          .add("conv2", new Conv2d(ops, alloc, 16, 32, 5, rng))
          .add("relu2", new ReLU(alloc))
          .add("pool2", new MaxPool2d(alloc, 2))
          .add("flatten", new Flatten())
          .add("fc", new Linear(ops, alloc, 32 * h * wd, 10, rng))
          .build();
    }
    return Sequential.builder()
        .add("fc1", new Linear(ops, alloc, rows * cols, 128, rng))
        .add("relu", new ReLU(alloc))
        .add("fc2", new Linear(ops, alloc, 128, 10, rng))
        .build();
  }

  private static TrainReport.Row measure(GpuExtension gpu, DeviceId id, Workload w, Dataset train,
      int epoch, Options options) throws Exception {
    int batch = options.batch();
    int features = train.features();
    Allocator alloc = Allocator.of(gpu, id, "bench-train-" + w.label);
    DeviceStream stream = gpu.stream(id);
    Sequential model = stream.submit(ops -> network(ops, alloc, w, train.rows(), train.cols(),
        options.seed())).toCompletableFuture().get();
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Optimizer opt = w.optimizer.equals("adam")
        ? new Adam(alloc, model.parameters(), Adam.Options.defaults().withLr(w.lr))
        : new SGD(alloc, model.parameters(), SGD.Options.of(w.lr));
    Tensor x = stream.submit(ops -> Tensor.zeros(ops, alloc, "bench-train input", batch, features))
        .toCompletableFuture().get();
    Tensor y = stream.submit(ops -> Tensor.of(ops, alloc, "bench-train labels", new int[batch], batch))
        .toCompletableFuture().get();
    Batches batches = new Batches(train, batch, options.seed());
    float[] lastLoss = {Float.NaN};
    Step step = () -> {
      batches.next();
      float[] hx = batches.x;
      int[] hy = batches.y;
      lastLoss[0] = stream.submit(ops -> {
        x.fromHost(ops, hx);
        y.fromHost(ops, hy);
        opt.zeroGrad(ops);
        Tensor value = loss.forward(ops, model.forward(ops, x, true), y);
        model.backward(ops, loss.backward(ops), false);
        opt.step(ops);
        return value.toHost(ops);
      }).toCompletableFuture().get()[0];
    };
    try {
      long warmupStart = System.nanoTime();
      int warmupSteps = 0;
      while (warmupSteps < options.warmupSteps()
          || System.nanoTime() - warmupStart < options.warmupSeconds() * 1e9) {
        step.run();
        warmupSteps++;
      }
      int steps = options.stepsPerRound();
      if (steps == 0) {
        // Whole epochs, as many as last roundSeconds, calibrated on one epoch.
        long start = System.nanoTime();
        for (int i = 0; i < epoch; i++) {
          step.run();
        }
        double epochSeconds = (System.nanoTime() - start) / 1e9;
        steps = epoch * (int) Math.max(1, Math.ceil(options.roundSeconds() / epochSeconds));
      }
      double[] rounds = new double[options.rounds()];
      for (int r = 0; r < rounds.length; r++) {
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          step.run();
        }
        rounds[r] = (double) steps * batch / ((System.nanoTime() - start) / 1e9);
      }
      return new TrainReport.Row(w.label, w.model, w.optimizer + " lr " + w.lr, warmupSteps, steps,
          median(rounds), batch == 64 ? w.pytorch : Double.NaN, lastLoss[0], rounds);
    } finally {
      opt.close();
      loss.close();
      model.close();
      x.release();
      y.release();
    }
  }

  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }

  /** Full batches from a seeded shuffle, reshuffled every epoch, assembled into reused arrays. */
  private static final class Batches {
    final Dataset data;
    final int batch;
    final SplittableRandom rng;
    final int[] order;
    final float[] x;
    final int[] y;
    int position;

    Batches(Dataset data, int batch, long seed) {
      this.data = data;
      this.batch = batch;
      this.rng = new SplittableRandom(seed);
      this.order = new int[data.size()];
      Arrays.setAll(order, i -> i);
      this.x = new float[batch * data.features()];
      this.y = new int[batch];
      shuffle();
    }

    private void shuffle() {
      for (int i = order.length - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      position = 0;
    }

    void next() {
      if (position + batch > order.length) {
        shuffle();
      }
      for (int i = 0; i < batch; i++) {
        int index = order[position + i];
        data.copyImage(index, x, i * data.features());
        y[i] = data.label(index);
      }
      position += batch;
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
