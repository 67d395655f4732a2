package io.zbmd.gpu.cpu;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import java.util.concurrent.ForkJoinPool;

/** The CPU implementation of the primitive ops: OpenBLAS for gemm, Java loops for the rest. */
final class CpuOps implements Ops {
  private final DeviceId device;
  private final ForkJoinPool pool;
  private final long parallelThreshold;

  CpuOps(DeviceId device, ForkJoinPool pool, long parallelThreshold) {
    this.device = device;
    this.pool = pool;
    this.parallelThreshold = parallelThreshold;
  }

  @Override
  public DeviceId device() {
    return device;
  }

  private static CpuBuffer cpu(DeviceBuffer b) {
    return (CpuBuffer) b;
  }

  @Override
  public void copyFromHost(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    cpu(dst).floats().put((int) dstOffset, src, srcOffset, count);
  }

  @Override
  public void copyFromHost(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    cpu(dst).ints().put((int) dstOffset, src, srcOffset, count);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
    cpu(src).floats().get((int) srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
    cpu(src).ints().get((int) srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count) {
    switch (src.dtype()) {
      case INT32 -> cpu(dst).ints().put((int) dstOffset, cpu(src).ints(), (int) srcOffset, (int) count);
      default -> cpu(dst).floats().put((int) dstOffset, cpu(src).floats(), (int) srcOffset, (int) count);
    }
  }

  @Override
  public void fill(DeviceBuffer dst, long offset, long count, float value) {
    java.nio.FloatBuffer f = cpu(dst).floats();
    for (int i = (int) offset, end = (int) (offset + count); i < end; i++) {
      f.put(i, value);
    }
  }

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        m, n, k, alpha, cpu(a).floatPointer(aOffset), lda, cpu(b).floatPointer(bOffset), ldb,
        beta, cpu(c).floatPointer(cOffset), ldc);
  }

  @Override
  public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    for (int i = 0; i < batch; i++) {
      gemm(transA, transB, m, n, k, alpha, a, aOffset + i * strideA, lda, b, bOffset + i * strideB, ldb,
          beta, c, cOffset + i * strideC, ldc);
    }
  }

  @Override
  public void unary(UnaryOp op, DeviceBuffer x, DeviceBuffer y, long n) {
    throw new UnsupportedOperationException("unary: TODO (issue 3 in progress)");
  }

  @Override
  public void affine(DeviceBuffer x, DeviceBuffer y, long n, float scale, float shift) {
    throw new UnsupportedOperationException("affine: TODO (issue 3 in progress)");
  }

  @Override
  public void binary(BinaryOp op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, int rows, int cols,
      Broadcast broadcast) {
    throw new UnsupportedOperationException("binary: TODO (issue 3 in progress)");
  }

  @Override
  public void reduce(ReduceOp op, DeviceBuffer x, DeviceBuffer out, int rows, int cols, int axis) {
    throw new UnsupportedOperationException("reduce: TODO (issue 3 in progress)");
  }

  @Override
  public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
    throw new UnsupportedOperationException("argmax: TODO (issue 3 in progress)");
  }

  @Override
  public void im2col(DeviceBuffer image, long imageOffset, ConvGeometry g, DeviceBuffer cols, long colsOffset) {
    throw new UnsupportedOperationException("im2col: TODO (issue 3 in progress)");
  }

  @Override
  public void col2im(DeviceBuffer cols, long colsOffset, ConvGeometry g, DeviceBuffer image, long imageOffset) {
    throw new UnsupportedOperationException("col2im: TODO (issue 3 in progress)");
  }

  @Override
  public void maxPoolForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer indices, PoolGeometry g) {
    throw new UnsupportedOperationException("maxPoolForward: TODO (issue 3 in progress)");
  }

  @Override
  public void maxPoolBackward(DeviceBuffer dy, DeviceBuffer indices, DeviceBuffer dx, PoolGeometry g) {
    throw new UnsupportedOperationException("maxPoolBackward: TODO (issue 3 in progress)");
  }

  @Override
  public void softmaxCrossEntropyForward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer probs,
      DeviceBuffer losses, int rows, int cols) {
    throw new UnsupportedOperationException("softmaxCrossEntropyForward: TODO (issue 3 in progress)");
  }

  @Override
  public void softmaxCrossEntropyBackward(DeviceBuffer probs, DeviceBuffer labels, DeviceBuffer dlogits,
      int rows, int cols, float scale) {
    throw new UnsupportedOperationException("softmaxCrossEntropyBackward: TODO (issue 3 in progress)");
  }

  @Override
  public void sgdUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, long n,
      float lr, float momentum, float weightDecay) {
    throw new UnsupportedOperationException("sgdUpdate: TODO (issue 3 in progress)");
  }

  @Override
  public void adamUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
      float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
    throw new UnsupportedOperationException("adamUpdate: TODO (issue 3 in progress)");
  }
}
