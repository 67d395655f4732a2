package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;

/**
 * The CUDA implementation of the primitive ops, called on the device's stream thread inside a
 * work: every call enqueues on the device's {@code CUstream} and returns without waiting. Memory
 * ops are driver copies and memsets through page-locked staging ({@link PinnedPool}); compute ops
 * launch our kernels ({@code zbmd_kernels.cu}), gemm goes to cuBLAS when it loaded. Assumes valid
 * arguments: the stream wraps it in {@link io.zbmd.gpu.internal.CheckedOps}.
 *
 * <p>A copy to a Java array is filled when the work's stage completes, not when the call returns
 * (the GPU has not run yet): read the array after the stage, not inside the work.
 */
final class CudaOps implements Ops {
  private static final int BLOCK = 256;
  /** Grid-stride kernels need no more blocks than this to fill any current GPU. */
  private static final long MAX_BLOCKS = 1 << 16;
  /** The sgemm kernel's tile (BM = BN in zbmd_kernels.cu) and the grid's y/z limit. */
  static final int GEMM_TILE = 128;
  private static final int GRID_YZ_MAX = 65_535;
  private static final int CHUNK_VALUES = PinnedPool.CHUNK_BYTES / 4;

  private final CudaDevice cuda;
  private final CudaStream stream;
  private final CudaKernels kernels;
  private final CublasGemm cublas;
  private CudaStream.Pending current;

  CudaOps(CudaDevice cuda, CudaStream stream, CudaKernels kernels, CublasGemm cublas) {
    this.cuda = cuda;
    this.stream = stream;
    this.kernels = kernels;
    this.cublas = cublas;
  }

  void begin(CudaStream.Pending p) {
    current = p;
  }

  void end() {
    current = null;
  }

  @Override
  public DeviceId device() {
    return cuda.id;
  }

  private static CUdeviceptr at(DeviceBuffer b, long offset) {
    return ((CudaBuffer) b).at(offset);
  }

  private static CUdeviceptr base(DeviceBuffer b) {
    return b == null ? new CUdeviceptr() : ((CudaBuffer) b).at(0);
  }

  private void check(String op, int result) {
    if (result != 0) {
      throw cuda.error(op, result, 0);
    }
  }

  private PinnedPool.Block stage(long bytes) {
    PinnedPool.Block b = stream.pinned.acquire(bytes);
    current.held.add(b);
    return b;
  }

  // ---- memory ----

  @Override
  public void copyFromHost(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    for (int done = 0; done < count; ) {
      int len = Math.min(count - done, CHUNK_VALUES);
      PinnedPool.Block b = stage(len * 4L);
      b.floats.put(0, src, srcOffset + done, len);
      check("copyFromHost", cuMemcpyHtoDAsync(at(dst, dstOffset + done), b.host, len * 4L, stream.stream));
      done += len;
    }
    current.ops.add("copyFromHost");
  }

  @Override
  public void copyFromHost(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    for (int done = 0; done < count; ) {
      int len = Math.min(count - done, CHUNK_VALUES);
      PinnedPool.Block b = stage(len * 4L);
      b.ints.put(0, src, srcOffset + done, len);
      check("copyFromHost", cuMemcpyHtoDAsync(at(dst, dstOffset + done), b.host, len * 4L, stream.stream));
      done += len;
    }
    current.ops.add("copyFromHost");
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
    for (int done = 0; done < count; ) {
      int len = Math.min(count - done, CHUNK_VALUES);
      PinnedPool.Block b = stage(len * 4L);
      check("copyToHost", cuMemcpyDtoHAsync(b.host, at(src, srcOffset + done), len * 4L, stream.stream));
      int to = dstOffset + done;
      current.after.add(() -> b.floats.get(0, dst, to, len));
      done += len;
    }
    current.ops.add("copyToHost");
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
    for (int done = 0; done < count; ) {
      int len = Math.min(count - done, CHUNK_VALUES);
      PinnedPool.Block b = stage(len * 4L);
      check("copyToHost", cuMemcpyDtoHAsync(b.host, at(src, srcOffset + done), len * 4L, stream.stream));
      int to = dstOffset + done;
      current.after.add(() -> b.ints.get(0, dst, to, len));
      done += len;
    }
    current.ops.add("copyToHost");
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count) {
    if (count == 0) {
      return;
    }
    long bytes = count * src.dtype().byteSize();
    check("copy", cuMemcpyDtoDAsync(at(dst, dstOffset), at(src, srcOffset), bytes, stream.stream));
    current.ops.add("copy");
  }

  @Override
  public void fill(DeviceBuffer dst, long offset, long count, float value) {
    if (count == 0) {
      return;
    }
    check("fill", cuMemsetD32Async(at(dst, offset), Float.floatToRawIntBits(value), count, stream.stream));
    current.ops.add("fill");
  }

  // ---- launching ----

  /** Launches {@code f} with a 1-D block; arguments are device pointers, Integer, Long or Float. */
  private void launch(String op, CUfunction f, long gridX, int gridY, int gridZ, Object... args) {
    Pointer[] params = new Pointer[args.length];
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a instanceof CUdeviceptr p) {
        params[i] = Pointer.to(p);
      } else if (a instanceof Integer v) {
        params[i] = Pointer.to(new int[] {v});
      } else if (a instanceof Long v) {
        params[i] = Pointer.to(new long[] {v});
      } else if (a instanceof Float v) {
        params[i] = Pointer.to(new float[] {v});
      } else {
        throw new AssertionError("kernel argument " + i + " of " + op + ": " + a);
      }
    }
    check(op, cuLaunchKernel(f, (int) gridX, gridY, gridZ, BLOCK, 1, 1, 0, stream.stream,
        Pointer.to(params), null));
    current.ops.add(op);
  }

  /** Blocks for a grid-stride loop over {@code n} items. */
  private static long blocks(long n) {
    return Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, MAX_BLOCKS));
  }

  // ---- gemm ----

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
      float beta, DeviceBuffer c, long cOffset, int ldc) {
    gemm("gemm", transA, transB, m, n, k, alpha, a, aOffset, lda, 0, b, bOffset, ldb, 0, beta,
        c, cOffset, ldc, 0, 1);
  }

  @Override
  public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA,
      DeviceBuffer b, long bOffset, int ldb, long strideB,
      float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    gemm("gemmStridedBatched", transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b, bOffset,
        ldb, strideB, beta, c, cOffset, ldc, strideC, batch);
  }

  private void gemm(String op, boolean transA, boolean transB, int m, int n, int k, float alpha,
      DeviceBuffer a, long aOffset, int lda, long strideA, DeviceBuffer b, long bOffset, int ldb,
      long strideB, float beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch) {
    if (cublas != null) {
      cublas.gemm(transA, transB, m, n, k, alpha, at(a, aOffset), lda, strideA, at(b, bOffset), ldb,
          strideB, beta, at(c, cOffset), ldc, strideC, batch);
      current.ops.add(op);
      return;
    }
    long gridY = (m + GEMM_TILE - 1) / GEMM_TILE;
    if (gridY > GRID_YZ_MAX) {
      throw new IllegalArgumentException(op + ": m = " + m + " exceeds what the sgemm kernel's grid covers ("
          + (long) GRID_YZ_MAX * GEMM_TILE + ")");
    }
    long gridX = (n + GEMM_TILE - 1) / GEMM_TILE;
    for (int first = 0; first < batch; first += GRID_YZ_MAX) {
      int count = Math.min(GRID_YZ_MAX, batch - first);
      launch(op, kernels.sgemm, gridX, (int) gridY, count, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha,
          base(a), aOffset + first * strideA, lda, strideA,
          base(b), bOffset + first * strideB, ldb, strideB,
          beta, base(c), cOffset + first * strideC, ldc, strideC);
    }
  }

  // ---- elementwise ----

  @Override
  public void unary(UnaryOp op, DeviceBuffer x, DeviceBuffer y, long n) {
    launch("unary " + op, kernels.unary, blocks(n), 1, 1, op.ordinal(), base(x), base(y), n);
  }

  @Override
  public void affine(DeviceBuffer x, DeviceBuffer y, long n, float scale, float shift) {
    launch("affine", kernels.affine, blocks(n), 1, 1, base(x), base(y), n, scale, shift);
  }

  @Override
  public void binary(BinaryOp op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, int rows, int cols,
      Broadcast broadcast) {
    launch("binary " + op, kernels.binary, blocks((long) rows * cols), 1, 1, op.ordinal(), broadcast.ordinal(),
        base(a), base(b), base(out), rows, cols);
  }

  // ---- reductions ----

  @Override
  public void reduce(ReduceOp op, DeviceBuffer x, DeviceBuffer out, int rows, int cols, int axis) {
    if (axis == 1) {
      launch("reduce " + op, kernels.reduceRows, rows, 1, 1, op.ordinal(), base(x), base(out), rows, cols);
    } else {
      launch("reduce " + op, kernels.reduceCols, (cols + BLOCK - 1) / BLOCK, 1, 1, op.ordinal(), base(x),
          base(out), rows, cols);
    }
  }

  @Override
  public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
    launch("argmax", kernels.argmax, rows, 1, 1, base(x), base(out), rows, cols);
  }

  // ---- images ----

  @Override
  public void im2col(DeviceBuffer image, long imageOffset, ConvGeometry g, DeviceBuffer cols, long colsOffset) {
    launch("im2col", kernels.im2col, blocks(g.columnsSize()), 1, 1, base(image), imageOffset, base(cols),
        colsOffset, g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(), g.strideH(),
        g.strideW(), g.padH(), g.padW(), g.outHeight(), g.outWidth());
  }

  @Override
  public void col2im(DeviceBuffer cols, long colsOffset, ConvGeometry g, DeviceBuffer image, long imageOffset) {
    launch("col2im", kernels.col2im, blocks(g.imageSize()), 1, 1, base(cols), colsOffset, base(image),
        imageOffset, g.channels(), g.height(), g.width(), g.kernelH(), g.kernelW(), g.strideH(),
        g.strideW(), g.padH(), g.padW(), g.outHeight(), g.outWidth());
  }

  @Override
  public void maxPoolForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer indices, PoolGeometry g) {
    launch("maxPoolForward", kernels.maxPoolForward, blocks(g.outputSize()), 1, 1, base(x), base(y),
        base(indices), g.planes(), g.height(), g.width(), g.kernel(), g.stride(), g.outHeight(),
        g.outWidth());
  }

  @Override
  public void maxPoolBackward(DeviceBuffer dy, DeviceBuffer indices, DeviceBuffer dx, PoolGeometry g) {
    launch("maxPoolBackward", kernels.maxPoolBackward, blocks(g.inputSize()), 1, 1, base(dy), base(indices),
        base(dx), g.planes(), g.height(), g.width(), g.kernel(), g.stride(), g.outHeight(),
        g.outWidth());
  }

  // ---- softmax cross-entropy ----

  @Override
  public void softmaxCrossEntropyForward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer probs,
      DeviceBuffer losses, int rows, int cols) {
    launch("softmaxCrossEntropyForward", kernels.softmaxCeForward, rows, 1, 1, base(logits), base(labels),
        base(probs), base(losses), rows, cols);
  }

  @Override
  public void softmaxCrossEntropyBackward(DeviceBuffer probs, DeviceBuffer labels, DeviceBuffer dlogits,
      int rows, int cols, float scale) {
    launch("softmaxCrossEntropyBackward", kernels.softmaxCeBackward, blocks((long) rows * cols), 1, 1,
        base(probs), base(labels), base(dlogits), rows, cols, scale);
  }

  // ---- optimizers ----

  @Override
  public void sgdUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer velocity, long n,
      float lr, float momentum, float weightDecay) {
    launch("sgdUpdate", kernels.sgd, blocks(n), 1, 1, base(param), base(grad),
        momentum == 0f ? new CUdeviceptr() : base(velocity), n, lr, momentum, weightDecay);
  }

  @Override
  public void adamUpdate(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
      double lr, double beta1, double beta2, float eps, float weightDecay, int step) {
    // The scalars as the CPU reference computes them: in double, rounded to float once.
    double bc1 = 1 - StrictMath.pow(beta1, step);
    double bc2 = 1 - StrictMath.pow(beta2, step);
    float stepSize = (float) (lr / bc1);
    float bc2Sqrt = (float) Math.sqrt(bc2);
    float oneMinusBeta1 = (float) (1.0 - beta1);
    float oneMinusBeta2 = (float) (1.0 - beta2);
    launch("adamUpdate", kernels.adam, blocks(n), 1, 1, base(param), base(grad), base(m), base(v), n,
        stepSize, (float) beta2, oneMinusBeta1, oneMinusBeta2, bc2Sqrt, eps, weightDecay);
  }
}
