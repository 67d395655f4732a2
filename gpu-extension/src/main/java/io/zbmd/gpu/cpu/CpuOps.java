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
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.concurrent.ForkJoinPool;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The CPU implementation of the primitive ops: OpenBLAS for gemm, Java loops over the off-heap
 * buffers for the rest, split over the backend's pool. Assumes valid arguments: the stream wraps
 * it in {@link io.zbmd.gpu.internal.CheckedOps}. Deterministic: the same inputs give the same bits
 * for any thread count or parallel threshold (see {@link Parallel}).
 */
final class CpuOps implements Ops {
  private final DeviceId device;
  private final Parallel par;

  CpuOps(DeviceId device, ForkJoinPool pool, long parallelThreshold) {
    this.device = device;
    this.par = new Parallel(pool, parallelThreshold);
  }

  @Override
  public DeviceId device() {
    return device;
  }

  private static CpuBuffer cpu(DeviceBuffer b) {
    return (CpuBuffer) b;
  }

  private static FloatBuffer floats(DeviceBuffer b) {
    return ((CpuBuffer) b).floats();
  }

  private static IntBuffer ints(DeviceBuffer b) {
    return ((CpuBuffer) b).ints();
  }

  @Override
  public void copyFromHost(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    floats(dst).put((int) dstOffset, src, srcOffset, count);
  }

  @Override
  public void copyFromHost(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    ints(dst).put((int) dstOffset, src, srcOffset, count);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
    floats(src).get((int) srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
    ints(src).get((int) srcOffset, dst, dstOffset, count);
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count) {
    switch (src.dtype()) {
      case INT32 -> ints(dst).put((int) dstOffset, ints(src), (int) srcOffset, (int) count);
      default -> floats(dst).put((int) dstOffset, floats(src), (int) srcOffset, (int) count);
    }
  }

  @Override
  public void fill(DeviceBuffer dst, long offset, long count, float value) {
    FloatBuffer f = floats(dst);
    int start = (int) offset;
    par.forEach((int) count, 1, (from, to) -> {
      for (int i = start + from, end = start + to; i < end; i++) {
        f.put(i, value);
      }
    });
  }

  // OpenBLAS reads the buffers in place: no copies on the gemm path.
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
    FloatPointer pa = cpu(a).floatPointer(aOffset);
    FloatPointer pb = cpu(b).floatPointer(bOffset);
    FloatPointer pc = cpu(c).floatPointer(cOffset);
    int ta = transA ? CblasTrans : CblasNoTrans;
    int tb = transB ? CblasTrans : CblasNoTrans;
    for (int i = 0; i < batch; i++) {
      pa.position(aOffset + i * strideA);
      pb.position(bOffset + i * strideB);
      pc.position(cOffset + i * strideC);
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
  }

  @Override
  public void unary(UnaryOp op, DeviceBuffer x, DeviceBuffer y, long n) {
    CpuElementwise.unary(par, op, floats(x), floats(y), (int) n);
  }

  @Override
  public void affine(DeviceBuffer x, DeviceBuffer y, long n, float scale, float shift) {
    CpuElementwise.affine(par, floats(x), floats(y), (int) n, scale, shift);
  }

  @Override
  public void binary(BinaryOp op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, int rows, int cols,
      Broadcast broadcast) {
    CpuElementwise.binary(par, op, floats(a), floats(b), floats(out), rows, cols, broadcast);
  }

  @Override
  public void reduce(ReduceOp op, DeviceBuffer x, DeviceBuffer out, int rows, int cols, int axis) {
    CpuReductions.reduce(par, op, floats(x), floats(out), rows, cols, axis);
  }

  @Override
  public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
    CpuReductions.argmax(par, floats(x), ints(out), rows, cols);
  }

  @Override
  public void im2col(DeviceBuffer image, long imageOffset, ConvGeometry g, DeviceBuffer cols, long colsOffset) {
    CpuImage.im2col(par, floats(image), (int) imageOffset, g, floats(cols), (int) colsOffset);
  }

  @Override
  public void col2im(DeviceBuffer cols, long colsOffset, ConvGeometry g, DeviceBuffer image, long imageOffset) {
    CpuImage.col2im(par, floats(cols), (int) colsOffset, g, floats(image), (int) imageOffset);
  }

  @Override
  public void maxPoolForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer indices, PoolGeometry g) {
    CpuImage.maxPoolForward(par, floats(x), floats(y), ints(indices), g);
  }

  @Override
  public void maxPoolBackward(DeviceBuffer dy, DeviceBuffer indices, DeviceBuffer dx, PoolGeometry g) {
    CpuImage.maxPoolBackward(par, floats(dy), ints(indices), floats(dx), g);
  }

  @Override
  public void softmaxCrossEntropyForward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer probs,
      DeviceBuffer losses, int rows, int cols) {
    CpuReductions.softmaxCrossEntropyForward(par, floats(logits), ints(labels), floats(probs),
        floats(losses), rows, cols);
  }

  @Override
  public void softmaxCrossEntropyBackward(DeviceBuffer probs, DeviceBuffer labels, DeviceBuffer dlogits,
      int rows, int cols, float scale) {
    CpuReductions.softmaxCrossEntropyBackward(par, floats(probs), ints(labels), floats(dlogits),
        rows, cols, scale);
  }

  @Override
  public void sgdUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, long n,
      float lr, float momentum, float weightDecay) {
    CpuOptimizers.sgd(par, floats(param), floats(grad), momentum == 0f ? null : floats(velocity),
        (int) n, lr, momentum, weightDecay);
  }

  @Override
  public void adamUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
      double lr, double beta1, double beta2, float eps, float weightDecay, int step) {
    CpuOptimizers.adam(par, floats(param), floats(grad), floats(m), floats(v), (int) n, lr, beta1,
        beta2, eps, weightDecay, step);
  }
}
