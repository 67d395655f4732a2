package io.zbmd.gpu.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasGetVersion_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.KernelException;
import java.lang.reflect.Method;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

/**
 * cuBLAS of a CUDA 13 install ({@code libcublas.so.13}) through JavaCPP's CUDA presets ({@code
 * org.bytedeco:cuda}), for machines where JCublas 12.6 cannot load. cuBLAS runs in the primary
 * context that the stream thread has current and on our {@code CUstream}; the stream and device
 * pointers are JCuda objects, whose raw addresses this class reads (JCuda keeps them in protected
 * fields). Only this class touches the presets, so their absence fails {@link #create} and nothing
 * else.
 */
final class BytedecoCublasGemm implements CublasGemm {
  private static final Method NATIVE_POINTER;
  private static final Method BYTE_OFFSET;

  static {
    try {
      NATIVE_POINTER = NativePointerObject.class.getDeclaredMethod("getNativePointer");
      NATIVE_POINTER.setAccessible(true);
      BYTE_OFFSET = Pointer.class.getDeclaredMethod("getByteOffset");
      BYTE_OFFSET.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final DeviceId device;
  private final cublasContext handle;
  private final String version;
  // Host scalars (CUBLAS_POINTER_MODE_HOST, the default): read when the call is made, so reusable.
  private final FloatPointer alpha = new FloatPointer(1);
  private final FloatPointer beta = new FloatPointer(1);

  private BytedecoCublasGemm(DeviceId device, cublasContext handle, String version) {
    this.device = device;
    this.handle = handle;
    this.version = version;
  }

  /** Creates a handle bound to {@code stream}; on the stream thread (the context current). */
  static BytedecoCublasGemm create(DeviceId device, CUstream stream) {
    cublasContext h = new cublasContext();
    check(device, "cublasCreate_v2", cublasCreate_v2(h));
    int[] v = new int[1];
    cublasGetVersion_v2(h, v);
    CUstream_st st = new CUstream_st(new Address(address(stream)));
    check(device, "cublasSetStream_v2", cublasSetStream_v2(h, st));
    check(device, "cublasSetMathMode", cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
    return new BytedecoCublasGemm(device, h,
        v[0] / 10000 + "." + v[0] % 10000 / 100 + "." + v[0] % 100);
  }

  @Override
  public String description() {
    return "cuBLAS " + version + " (CUDA 13, org.bytedeco:cuda)";
  }

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      CUdeviceptr a, int lda, long strideA, CUdeviceptr b, int ldb, long strideB,
      float beta, CUdeviceptr c, int ldc, long strideC, int batch) {
    int opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    int opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    this.alpha.put(0, alpha);
    this.beta.put(0, beta);
    FloatPointer pa = new Address(address(a));
    FloatPointer pb = new Address(address(b));
    FloatPointer pc = new Address(address(c));
    int r;
    if (batch == 1) {
      r = cublasSgemm_v2(handle, opB, opA, n, m, k, this.alpha, pb, ldb, pa, lda,
          this.beta, pc, ldc);
    } else {
      r = cublasSgemmStridedBatched(handle, opB, opA, n, m, k, this.alpha, pb, ldb,
          strideB, pa, lda, strideA, this.beta, pc, ldc, strideC, batch);
    }
    check(device, batch == 1 ? "gemm (cublasSgemm_v2)" : "gemmStridedBatched (cublasSgemmStridedBatched)", r);
  }

  @Override
  public void close() {
    cublasDestroy_v2(handle);
    alpha.deallocate();
    beta.deallocate();
  }

  /** The raw address a JCuda pointer stands for, its byte offset included. */
  private static long address(NativePointerObject p) {
    try {
      long base = (Long) NATIVE_POINTER.invoke(p);
      return p instanceof Pointer q ? base + (Long) BYTE_OFFSET.invoke(q) : base;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the address of " + p, e);
    }
  }

  private static void check(DeviceId device, String op, int status) {
    if (status != CUBLAS_STATUS_SUCCESS) {
      throw new KernelException(device, op + " failed: cublasStatus " + status, null);
    }
  }

  /** A pointer to a raw (device) address: no allocation, no deallocator. */
  private static final class Address extends FloatPointer {
    Address(long address) {
      this.address = address;
    }
  }
}
