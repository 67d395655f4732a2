package io.zbmd.serving;

import io.zbmd.ml.io.HostTensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real in-process model for the tests: input rows of 4 floats, output rows of 2 (the row's sum
 * and twice its first value), so each caller can tell its rows from anyone else's. It records every
 * batch size, can be held (a gate) to let requests queue up, and knows whether it was closed.
 */
final class TestModel implements Predictor {
  static final TensorSpec INPUT = new TensorSpec("input", "FP32", new int[] {4});
  static final TensorSpec OUTPUT = new TensorSpec("output", "FP32", new int[] {2});

  final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  final AtomicBoolean closed = new AtomicBoolean();
  private final Executor device = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "test-model");
    t.setDaemon(true);
    return t;
  });
  private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

  ServedModel served(String name, ServingSettings.Batching batching) {
    return ServedModel.of(name, INPUT, OUTPUT, () -> this).withBatching(batching);
  }

  /** Holds every batch from now on until {@link #release}. */
  void hold() {
    gate = new CompletableFuture<>();
  }

  void release() {
    gate.complete(null);
  }

  @Override
  public CompletionStage<HostTensor> predict(HostTensor batch) {
    int rows = batch.shape()[0];
    batchSizes.add(rows);
    CompletableFuture<Void> g = gate;
    return g.thenApplyAsync(v -> {
      float[] in = batch.toFloats();
      float[] out = new float[rows * 2];
      for (int r = 0; r < rows; r++) {
        float sum = 0;
        for (int c = 0; c < 4; c++) {
          sum += in[r * 4 + c];
        }
        out[r * 2] = sum;
        out[r * 2 + 1] = 2 * in[r * 4];
      }
      return HostTensor.ofFloats(new int[] {rows, 2}, out);
    }, device);
  }

  @Override
  public CompletionStage<Void> close() {
    closed.set(true);
    return CompletableFuture.completedFuture(null);
  }
}
