package io.zbmd.gpu.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * sgemm through cuBLAS, bound to the device's stream, in FP32 ({@code CUBLAS_DEFAULT_MATH}: no
 * TF32 for sgemm), so that results meet the same tolerances as our kernel. Row-major {@code C = op(A) op(B)} is computed as
 * the column-major {@code C^T = op(B)^T op(A)^T}, which is the same memory. Two bindings: JCublas
 * for CUDA 12 installs ({@link JCublasGemm}) and JavaCPP's CUDA presets for CUDA 13 ({@link
 * BytedecoCublasGemm}); used on the stream thread only.
 */
interface CublasGemm {
  /** What {@code zbmd devices} shows, e.g. {@code cuBLAS 13.1.0 (bytedeco)}. */
  String description();

  /** Pointers are at the first element (offsets applied); a batch of 1 is a plain sgemm. */
  void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      CUdeviceptr a, int lda, long strideA, CUdeviceptr b, int ldb, long strideB,
      float beta, CUdeviceptr c, int ldc, long strideC, int batch);

  void close();
}
