package io.zbmd.gpu.cpu;

import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.Ops;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The CPU device's stream: one worker thread runs submitted work in order, as a GPU runs its
 * stream, so the submitting actor's dispatcher thread is free while OpenBLAS or a loop runs.
 */
final class CpuStream implements DeviceStream {
  private final Device device;
  private final Ops ops;
  private final ExecutorService worker;

  CpuStream(Device device, Ops ops) {
    this.device = device;
    this.ops = ops;
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "zbmd-" + device.id().key() + "-stream");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public <T> CompletionStage<T> submit(Work<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      worker.execute(() -> {
        try {
          result.complete(work.run(ops));
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException(device.id() + ": backend is closed", e));
    }
    return result;
  }

  void close() {
    worker.shutdown();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
