package io.zbmd.benchmarks.gemm;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataEx;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * The CUDA baseline of {@link GemmBenchmark}: the same {@code zbmd_sgemm} kernel, from the same PTX
 * resource, launched straight through the driver API on the calling thread with its parameters
 * built once, no zbmd stream, threads or checks in between: what a hand-written JCuda program
 * would do. With one gemm in flight it synchronizes after each launch; with more it keeps that
 * many in flight through a ring of events, as the zbmd paths keep that many stages in flight.
 */
final class CudaNativeGemm implements AutoCloseable {
  /** zbmd_sgemm's tile and block, as io.zbmd.gpu.cuda.CudaOps launches it. */
  private static final int TILE = 128;
  private static final int THREADS = 256;
  private static final String PTX = "/io/zbmd/gpu/cuda/zbmd_kernels.ptx";

  private final CUdevice device = new CUdevice();
  private final CUcontext context = new CUcontext();
  private final CUstream stream = new CUstream();
  private final CUmodule module = new CUmodule();
  private final CUfunction sgemm = new CUfunction();
  private final CUdeviceptr a = new CUdeviceptr();
  private final CUdeviceptr b = new CUdeviceptr();
  private final CUdeviceptr c = new CUdeviceptr();
  private final CUevent[] ring;
  private final Pointer params;
  private final int grid;

  CudaNativeGemm(int ordinal, float[] hostA, float[] hostB, int n, int inFlight) throws IOException {
    check("cuInit", cuInit(0));
    check("cuDeviceGet", cuDeviceGet(device, ordinal));
    check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(context, device));
    check("cuCtxSetCurrent", cuCtxSetCurrent(context));
    check("cuStreamCreate", cuStreamCreate(stream, 1 /* CU_STREAM_NON_BLOCKING */));
    byte[] ptx;
    try (InputStream in = CudaNativeGemm.class.getResourceAsStream(PTX)) {
      if (in == null) {
        throw new IOException(PTX + " not on the class path");
      }
      byte[] text = in.readAllBytes();
      ptx = Arrays.copyOf(text, text.length + 1);
    }
    check("cuModuleLoadDataEx", cuModuleLoadDataEx(module, Pointer.to(ptx), 0, new int[0], Pointer.to(new int[0])));
    check("cuModuleGetFunction", cuModuleGetFunction(sgemm, module, "zbmd_sgemm"));
    long bytes = 4L * n * n;
    check("cuMemAlloc", cuMemAlloc(a, bytes));
    check("cuMemAlloc", cuMemAlloc(b, bytes));
    check("cuMemAlloc", cuMemAlloc(c, bytes));
    check("cuMemcpyHtoD", cuMemcpyHtoD(a, Pointer.to(hostA), bytes));
    check("cuMemcpyHtoD", cuMemcpyHtoD(b, Pointer.to(hostB), bytes));
    ring = new CUevent[Math.max(1, inFlight)];
    for (int i = 0; i < ring.length; i++) {
      ring[i] = new CUevent();
      check("cuEventCreate", cuEventCreate(ring[i], 2 /* CU_EVENT_DISABLE_TIMING */));
    }
    grid = (n + TILE - 1) / TILE;
    // zbmd_sgemm(transA, transB, m, n, k, alpha, A, aOffset, lda, strideA, B, bOffset, ldb,
    //            strideB, beta, C, cOffset, ldc, strideC)
    params = Pointer.to(
        Pointer.to(new int[] {0}), Pointer.to(new int[] {0}),
        Pointer.to(new int[] {n}), Pointer.to(new int[] {n}), Pointer.to(new int[] {n}),
        Pointer.to(new float[] {1f}),
        Pointer.to(a), Pointer.to(new long[] {0}), Pointer.to(new int[] {n}), Pointer.to(new long[] {0}),
        Pointer.to(b), Pointer.to(new long[] {0}), Pointer.to(new int[] {n}), Pointer.to(new long[] {0}),
        Pointer.to(new float[] {0f}),
        Pointer.to(c), Pointer.to(new long[] {0}), Pointer.to(new int[] {n}), Pointer.to(new long[] {0}));
  }

  /** {@code reps} gemms with at most {@code ring.length} in flight; returns when all are done. */
  void run(long reps) {
    for (long i = 0; i < reps; i++) {
      CUevent slot = ring[(int) (i % ring.length)];
      if (i >= ring.length) {
        check("cuEventSynchronize", cuEventSynchronize(slot)); // the gemm ring.length back is done
      }
      check("cuLaunchKernel", cuLaunchKernel(sgemm, grid, grid, 1, THREADS, 1, 1, 0, stream, params, null));
      check("cuEventRecord", cuEventRecord(slot, stream));
    }
    check("cuStreamSynchronize", cuStreamSynchronize(stream));
  }

  @Override
  public void close() {
    cuStreamSynchronize(stream);
    for (CUevent e : ring) {
      cuEventDestroy(e);
    }
    cuMemFree(a);
    cuMemFree(b);
    cuMemFree(c);
    cuModuleUnload(module);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
  }

  private static void check(String call, int result) {
    if (result != 0) {
      throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
    }
  }
}
