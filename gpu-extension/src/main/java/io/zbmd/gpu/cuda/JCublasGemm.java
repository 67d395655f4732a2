package io.zbmd.gpu.cuda;

import static jcuda.jcublas.JCublas2.cublasCreate;
import static jcuda.jcublas.JCublas2.cublasDestroy;
import static jcuda.jcublas.JCublas2.cublasGetVersion;
import static jcuda.jcublas.JCublas2.cublasSetMathMode;
import static jcuda.jcublas.JCublas2.cublasSetPointerMode;
import static jcuda.jcublas.JCublas2.cublasSetStream;
import static jcuda.jcublas.JCublas2.cublasSgemm;
import static jcuda.jcublas.JCublas2.cublasSgemmStridedBatched;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.KernelException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasPointerMode;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * cuBLAS through JCublas 12.6, which needs {@code libcublas.so.12} (a CUDA 12 install). Only this
 * class touches JCublas, so a machine without it fails in {@link #create} and nowhere else.
 */
final class JCublasGemm implements CublasGemm {
  private final DeviceId device;
  private final cublasHandle handle;
  private final String version;

  private JCublasGemm(DeviceId device, cublasHandle handle, String version) {
    this.device = device;
    this.handle = handle;
    this.version = version;
  }

  /** Creates a handle bound to {@code stream}; on the stream thread (the context current). */
  static JCublasGemm create(DeviceId device, CUstream stream) {
    cublasHandle h = new cublasHandle();
    check(device, "cublasCreate", cublasCreate(h));
    int[] v = new int[1];
    cublasGetVersion(h, v);
    check(device, "cublasSetStream", cublasSetStream(h, new cudaStream_t(stream)));
    check(device, "cublasSetPointerMode", cublasSetPointerMode(h, cublasPointerMode.CUBLAS_POINTER_MODE_HOST));
    check(device, "cublasSetMathMode", cublasSetMathMode(h, cublasMath.CUBLAS_DEFAULT_MATH));
    return new JCublasGemm(device, h, v[0] / 10000 + "." + v[0] % 10000 / 100 + "." + v[0] % 100);
  }

  @Override
  public String description() {
    return "cuBLAS " + version + " (JCublas)";
  }

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      CUdeviceptr a, int lda, long strideA, CUdeviceptr b, int ldb, long strideB,
      float beta, CUdeviceptr c, int ldc, long strideC, int batch) {
    int opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    int opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    Pointer pa = Pointer.to(new float[] {alpha});
    Pointer pb = Pointer.to(new float[] {beta});
    int r = batch == 1
        ? cublasSgemm(handle, opB, opA, n, m, k, pa, b, ldb, a, lda, pb, c, ldc)
        : cublasSgemmStridedBatched(handle, opB, opA, n, m, k, pa, b, ldb, strideB, a, lda, strideA,
            pb, c, ldc, strideC, batch);
    check(device, batch == 1 ? "gemm (cublasSgemm)" : "gemmStridedBatched (cublasSgemmStridedBatched)", r);
  }

  @Override
  public void close() {
    cublasDestroy(handle);
  }

  private static void check(DeviceId device, String op, int status) {
    if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
      throw new KernelException(device, op + " failed: " + cublasStatus.stringFor(status), null);
    }
  }
}
