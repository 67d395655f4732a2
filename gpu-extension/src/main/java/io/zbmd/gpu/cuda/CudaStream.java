package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataEx;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.internal.CheckedOps;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CUDA device's work stream, with two threads of its own, both with the device's primary context
 * current:
 *
 * <ul>
 *   <li>the <b>stream thread</b> runs each submitted work, in order: its {@link Ops} calls enqueue
 *       copies and kernel launches on one non-blocking {@code CUstream} and return at once; then it
 *       records a {@code CUevent} after them and moves on to the next work, never waiting for the
 *       GPU;
 *   <li>the <b>completion thread</b> takes the recorded events in order, waits for each ({@code
 *       cuEventSynchronize}, which returns the error of any kernel before it), copies results out
 *       of page-locked staging into the work's Java arrays, frees memory released meanwhile, and
 *       completes the work's stage, with its value or with the typed failure.
 * </ul>
 *
 * So the caller (an actor on its dispatcher thread) only enqueues, and learns of completion
 * through the stage. Events rather than {@code cuLaunchHostFunc}: a host function is not called
 * once the context has failed, whereas the event wait reports that failure, which is how a lost
 * device fails its pending stages instead of hanging them.
 */
final class CudaStream implements DeviceStream {
  private static final Logger log = LoggerFactory.getLogger(CudaStream.class);

  /** What the completion thread waits for: one submitted work, or one pointer to free. */
  static final class Pending {
    final CompletableFuture<Object> result;
    final CUdeviceptr toFree;
    final List<Runnable> after = new ArrayList<>(2);
    final List<PinnedPool.Block> held = new ArrayList<>(2);
    final List<String> ops = new ArrayList<>(4);
    CUevent event;
    Object value;
    Throwable error;

    Pending(CompletableFuture<Object> result, CUdeviceptr toFree) {
      this.result = result;
      this.toFree = toFree;
    }

    String describe() {
      return ops.isEmpty() ? "no ops" : ops.size() <= 8 ? String.join(", ", ops)
          : String.join(", ", ops.subList(0, 8)) + " and " + (ops.size() - 8) + " more";
    }
  }

  private static final Pending STOP = new Pending(null, null);

  private final CudaDevice cuda;
  private final ExecutorService worker;
  private final Thread completer;
  private final LinkedBlockingQueue<Pending> inFlight = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<CUevent> events = new ConcurrentLinkedQueue<>();
  private final List<CUmodule> testModules = new ArrayList<>();
  final PinnedPool pinned;
  final CUstream stream = new CUstream();
  private CudaKernels kernels;
  private CublasGemm cublas;
  private String gemmDescription;
  private CudaOps raw;
  private Ops ops;
  private volatile Device device;

  CudaStream(CudaDevice cuda, CudaSettings settings, byte[] ptx) {
    this.cuda = cuda;
    this.pinned = new PinnedPool(cuda);
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "zbmd-" + cuda.id.key() + "-stream");
      t.setDaemon(true);
      return t;
    });
    try {
      worker.submit(() -> init(settings, ptx)).get();
    } catch (ExecutionException e) {
      worker.shutdownNow();
      Throwable c = e.getCause();
      throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
    } catch (InterruptedException e) {
      worker.shutdownNow();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + cuda.id, e);
    }
    this.completer = new Thread(this::completeInOrder, "zbmd-" + cuda.id.key() + "-completion");
    completer.setDaemon(true);
    completer.start();
  }

  /** On the stream thread: context, stream, kernels, gemm. */
  private Void init(CudaSettings settings, byte[] ptx) {
    cuda.check("cuCtxSetCurrent", cuCtxSetCurrent(cuda.context));
    cuda.check("cuStreamCreate", cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
    kernels = new CudaKernels(cuda, ptx);
    String why;
    if (settings.gemm() == CudaSettings.Gemm.KERNEL) {
      why = "zbmd.gpu.cuda.gemm = kernel";
    } else {
      // cuBLAS of a CUDA 12 install through JCublas, else of a CUDA 13 install through JavaCPP.
      String jcublas;
      String bytedeco = null;
      try {
        cublas = JCublasGemm.create(cuda.id, stream);
        jcublas = null;
      } catch (Throwable t) {
        jcublas = CudaErrors.explainLinkFailure(t);
        try {
          cublas = BytedecoCublasGemm.create(cuda.id, stream);
        } catch (Throwable t2) {
          bytedeco = CudaErrors.explainLinkFailure(t2);
        }
      }
      why = cublas != null ? null
          : "cuBLAS unavailable: JCublas: " + jcublas + "; CUDA 13 presets: " + bytedeco;
      if (cublas == null && settings.gemm() == CudaSettings.Gemm.CUBLAS) {
        throw new IllegalStateException("zbmd.gpu.cuda.gemm = cublas, but " + why);
      }
      if (cublas == null) {
        log.info("{}: using zbmd's sgemm kernel; {}", cuda.id, why);
      }
    }
    gemmDescription = cublas != null ? cublas.description() : "zbmd sgemm kernel, " + why;
    raw = new CudaOps(cuda, this, kernels, cublas);
    ops = new CheckedOps(raw, CudaBuffer.class);
    return null;
  }

  String gemmDescription() {
    return gemmDescription;
  }

  void setDevice(Device device) {
    this.device = device;
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public <T> CompletionStage<T> submit(Work<T> work) {
    DeviceLostException lost = cuda.lostException("submit");
    if (lost != null) {
      return CompletableFuture.failedFuture(lost);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      worker.execute(() -> run(work, result));
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException(cuda.id + ": backend is closed", e));
    }
    return result;
  }

  /** On the stream thread: enqueue the work's ops, then its completion marker. */
  @SuppressWarnings("unchecked")
  private <T> void run(Work<T> work, CompletableFuture<T> result) {
    DeviceLostException lost = cuda.lostException("work");
    if (lost != null) {
      result.completeExceptionally(lost);
      return;
    }
    Pending p = new Pending((CompletableFuture<Object>) result, null);
    raw.begin(p);
    try {
      p.value = work.run(ops);
    } catch (Throwable t) {
      p.error = t;
    } finally {
      raw.end();
    }
    if (p.error instanceof DeviceLostException) {
      finish(p, p.error);
      return;
    }
    enqueueMarker(p);
  }

  private void enqueueMarker(Pending p) {
    CUevent ev = events.poll();
    if (ev == null) {
      ev = new CUevent();
      int r = cuEventCreate(ev, CUevent_flags.CU_EVENT_DISABLE_TIMING);
      if (r != 0) {
        finish(p, cuda.error("cuEventCreate", r, 0));
        return;
      }
    }
    int r = cuEventRecord(ev, stream);
    if (r != 0) {
      events.offer(ev);
      finish(p, cuda.error("cuEventRecord after " + p.describe(), r, 0));
      return;
    }
    p.event = ev;
    inFlight.add(p);
  }

  /** On the completion thread: wait for each marker in order and complete its stage. */
  private void completeInOrder() {
    int bound = cuCtxSetCurrent(cuda.context);
    if (bound != 0) {
      log.error("{}: the completion thread could not bind the context: {}", cuda.id, CudaErrors.name(bound));
    }
    while (true) {
      Pending p;
      try {
        p = inFlight.take();
      } catch (InterruptedException e) {
        continue; // only STOP ends this thread, so that no stage is left incomplete
      }
      if (p == STOP) {
        return;
      }
      int r = cuEventSynchronize(p.event);
      events.offer(p.event);
      DeviceException failure = r == 0 ? null
          : cuda.error(p.toFree != null ? "work before a free" : "work on the stream (" + p.describe() + ")", r, 0);
      if (p.toFree != null) {
        if (failure == null) {
          int f = cuMemFree(p.toFree);
          if (f != 0) {
            cuda.error("cuMemFree", f, 0);
          }
        }
        continue;
      }
      finish(p, failure);
    }
  }

  /** Copies results out, returns staging, completes the stage (a device failure wins). */
  private void finish(Pending p, Throwable deviceFailure) {
    Throwable error = deviceFailure;
    if (error == null) {
      try {
        for (Runnable r : p.after) {
          r.run();
        }
      } catch (Throwable t) {
        error = t;
      }
    }
    for (PinnedPool.Block b : p.held) {
      pinned.release(b);
    }
    if (p.result == null) {
      return; // a free marker: nothing waits for it
    }
    if (error == null) {
      error = p.error;
    }
    if (error != null) {
      p.result.completeExceptionally(error);
    } else {
      p.result.complete(p.value);
    }
  }

  // ---- memory, called by CudaDevice ----

  /** Zeroes a new buffer on the stream, ahead of any later work. */
  void zero(CUdeviceptr pointer, long elements) {
    try {
      worker.execute(() -> {
        int r = cuMemsetD32Async(pointer, 0, elements, stream);
        if (r != 0) {
          cuda.error("cuMemsetD32Async (zeroing a new buffer)", r, 0);
        }
      });
    } catch (RejectedExecutionException closing) {
      // the backend is closing: the buffer is about to be freed
    }
  }

  /** Frees after the work already enqueued; false if the stream no longer runs (then free directly). */
  boolean freeInOrder(CUdeviceptr pointer) {
    try {
      worker.execute(() -> enqueueMarker(new Pending(null, pointer)));
      return true;
    } catch (RejectedExecutionException closing) {
      return false;
    }
  }

  // ---- test hook ----

  /**
   * Loads {@code ptx} and launches its kernel {@code entry} on one thread, as one work of this
   * stream: the fault-injection tests use it to make the GPU fault.
   */
  CompletionStage<Void> launchForTesting(String ptx, String entry) {
    return submit(o -> {
      CUmodule m = new CUmodule();
      byte[] bytes = (ptx + "\0").getBytes(StandardCharsets.US_ASCII);
      cuda.check("cuModuleLoadDataEx (test PTX)", cuModuleLoadDataEx(m, Pointer.to(bytes), 0, new int[0], Pointer.to(new int[0])));
      testModules.add(m);
      CUfunction f = new CUfunction();
      cuda.check("cuModuleGetFunction(" + entry + ")", cuModuleGetFunction(f, m, entry));
      cuda.check("cuLaunchKernel(" + entry + ")", cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, stream, null, null));
      return null;
    });
  }

  // ---- shutdown ----

  /** Runs what is queued, waits for the GPU, completes every stage, frees the stream's resources. */
  void close() {
    worker.shutdown();
    awaitQuietly(worker);
    inFlight.add(STOP);
    try {
      completer.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    cuda.withContext(() -> {
      for (CUevent e; (e = events.poll()) != null; ) {
        cuEventDestroy(e);
      }
      pinned.close();
      if (cublas != null) {
        cublas.close();
      }
      if (kernels != null) {
        kernels.unload();
      }
      for (CUmodule m : testModules) {
        cuModuleUnload(m);
      }
      return cuStreamDestroy(stream);
    });
  }

  private static void awaitQuietly(ExecutorService e) {
    try {
      if (!e.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("the cuda stream thread did not finish within 30 s");
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }
}
