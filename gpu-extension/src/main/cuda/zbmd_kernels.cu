// zbmd's CUDA kernels: one per primitive op of io.zbmd.gpu.Ops that is not a driver memcpy/memset.
//
// Compiled to PTX by build-ptx.sh (next to this file); the PTX is kept as the resource
// io/zbmd/gpu/cuda/zbmd_kernels.ptx and loaded at run time with cuModuleLoadDataEx, so that the
// same bytes run on every driver that accepts the PTX ISA version the script writes. A test
// (CudaPtxFreshnessTest) fails when this file changes without the PTX being regenerated.
//
// Conventions: matrices are row-major; every pointer argument is the buffer's base address and an
// element offset comes separately (so no pointer arithmetic happens on the host); sizes that can
// exceed 2^31 (flat element counts) are 64-bit. The host (CudaOps) has checked every argument that
// it can; values that live on the device (class labels, max-pool indices) are range-checked here
// so that a bad one gives an unspecified value, never an out-of-bounds access.
//
// Determinism: no atomics. Each output element is written by one thread, and every reduction has a
// fixed order (fixed block size, fixed tree), so the same inputs give the same bits on a device.

#include <stdint.h>

typedef long long i64;

// ---- enums, in the order of the Java enums (io.zbmd.gpu.UnaryOp, BinaryOp, Broadcast, ReduceOp) ----

enum { U_NEG, U_ABS, U_EXP, U_LOG, U_SQRT, U_SQUARE, U_RECIPROCAL, U_TANH, U_SIGMOID, U_RELU };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_RELU_GRAD };
enum { BC_NONE, BC_ROW, BC_COLUMN, BC_SCALAR };
enum { R_SUM, R_MAX, R_MEAN };

// Java's Math.max/min: NaN if either argument is NaN (fmaxf would drop it), +0 over -0.
__device__ __forceinline__ float java_max(float a, float b) {
  if (a != a || b != b) return __int_as_float(0x7fc00000);
  if (a == 0.0f && b == 0.0f) return __float_as_int(a) == 0 ? a : b;
  return a >= b ? a : b;
}

__device__ __forceinline__ float java_min(float a, float b) {
  if (a != a || b != b) return __int_as_float(0x7fc00000);
  if (a == 0.0f && b == 0.0f) return __float_as_int(a) != 0 ? a : b;
  return a <= b ? a : b;
}

// Grid-stride loop over [0, n).
#define FOR_EACH(i, n) \
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

// ---- elementwise ----

extern "C" __global__ void zbmd_unary(int op, const float* __restrict__ x, float* y, i64 n) {
  FOR_EACH(i, n) {
    float v = x[i];
    float r;
    switch (op) {
      case U_NEG: r = -v; break;
      case U_ABS: r = fabsf(v); break;
      case U_EXP: r = expf(v); break;
      case U_LOG: r = logf(v); break;
      case U_SQRT: r = sqrtf(v); break;
      case U_SQUARE: r = v * v; break;
      case U_RECIPROCAL: r = 1.0f / v; break;
      case U_TANH: r = tanhf(v); break;
      // In double, as the CPU reference: 1 / (1 + exp(-x)) rounded once.
      case U_SIGMOID: r = (float)(1.0 / (1.0 + exp(-(double)v))); break;
      case U_RELU: r = java_max(v, 0.0f); break;
      default: r = __int_as_float(0x7fc00000); break;
    }
    y[i] = r;
  }
}

extern "C" __global__ void zbmd_affine(const float* __restrict__ x, float* y, i64 n, float scale,
                                       float shift) {
  // Rounded twice, as the CPU reference (no fused multiply-add).
  FOR_EACH(i, n) { y[i] = __fadd_rn(__fmul_rn(scale, x[i]), shift); }
}

extern "C" __global__ void zbmd_binary(int op, int broadcast, const float* a, const float* b,
                                       float* out, int rows, int cols) {
  i64 n = (i64)rows * cols;
  FOR_EACH(i, n) {
    i64 bi;
    switch (broadcast) {
      case BC_NONE: bi = i; break;
      case BC_ROW: bi = i % cols; break;
      case BC_COLUMN: bi = i / cols; break;
      default: bi = 0; break;
    }
    float x = a[i];
    float y = b[bi];
    float r;
    switch (op) {
      case B_ADD: r = x + y; break;
      case B_SUB: r = x - y; break;
      case B_MUL: r = x * y; break;
      case B_DIV: r = x / y; break;
      case B_MAX: r = java_max(x, y); break;
      case B_MIN: r = java_min(x, y); break;
      case B_RELU_GRAD: r = y > 0.0f ? x : 0.0f; break;
      default: r = __int_as_float(0x7fc00000); break;
    }
    out[i] = r;
  }
}

// ---- reductions ----

#define RBLOCK 256

// Along each row (axis 1): one block per row, a fixed tree; sums in double, as the CPU reference.
extern "C" __global__ void __launch_bounds__(RBLOCK)
zbmd_reduce_rows(int op, const float* __restrict__ x, float* out, int rows, int cols) {
  __shared__ double acc[RBLOCK];
  int r = blockIdx.x;
  const float* row = x + (i64)r * cols;
  int t = threadIdx.x;
  double v;
  if (op == R_MAX) {
    float m = row[0];
    for (int c = t; c < cols; c += RBLOCK) m = java_max(m, row[c]);
    v = m;
  } else {
    v = 0.0;
    for (int c = t; c < cols; c += RBLOCK) v += row[c];
  }
  acc[t] = v;
  __syncthreads();
  for (int s = RBLOCK / 2; s > 0; s >>= 1) {
    if (t < s) {
      acc[t] = op == R_MAX ? (double)java_max((float)acc[t], (float)acc[t + s]) : acc[t] + acc[t + s];
    }
    __syncthreads();
  }
  if (t == 0) {
    double res = acc[0];
    out[r] = (float)(op == R_MEAN ? res / cols : res);
  }
}

// Down the columns (axis 0): one thread per column walks the rows in order (coalesced across the
// threads of a warp), in double as the CPU reference.
extern "C" __global__ void zbmd_reduce_cols(int op, const float* __restrict__ x, float* out, int rows,
                                            int cols) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  if (op == R_MAX) {
    float m = x[c];
    for (int r = 1; r < rows; r++) m = java_max(m, x[(i64)r * cols + c]);
    out[c] = m;
  } else {
    double s = 0.0;
    for (int r = 0; r < rows; r++) s += x[(i64)r * cols + c];
    out[c] = (float)(op == R_MEAN ? s / rows : s);
  }
}

// The index of each row's first maximum: one block per row; ties go to the lower index.
extern "C" __global__ void __launch_bounds__(RBLOCK)
zbmd_argmax(const float* __restrict__ x, int* out, int rows, int cols) {
  __shared__ float best[RBLOCK];
  __shared__ int where[RBLOCK];
  int r = blockIdx.x;
  const float* row = x + (i64)r * cols;
  int t = threadIdx.x;
  float bv = -__int_as_float(0x7f800000);
  int bi = cols;  // "none yet": any real index wins
  for (int c = t; c < cols; c += RBLOCK) {
    float v = row[c];
    if (bi == cols || v > bv) {  // strict: within a thread the first (lowest) index wins ties
      bv = v;
      bi = c;
    }
  }
  best[t] = bv;
  where[t] = bi;
  __syncthreads();
  for (int s = RBLOCK / 2; s > 0; s >>= 1) {
    if (t < s) {
      float ov = best[t + s];
      int oi = where[t + s];
      if (oi != cols && (where[t] == cols || ov > best[t] || (ov == best[t] && oi < where[t]))) {
        best[t] = ov;
        where[t] = oi;
      }
    }
    __syncthreads();
  }
  if (t == 0) out[r] = where[0] == cols ? 0 : where[0];
}

// ---- images ----

// One thread per column-matrix element: row (c * kh + i) * kw + j, column oh * outW + ow.
extern "C" __global__ void zbmd_im2col(const float* __restrict__ image, i64 imageOffset, float* cols,
                                       i64 colsOffset, int channels, int height, int width,
                                       int kernelH, int kernelW, int strideH, int strideW, int padH,
                                       int padW, int outH, int outW) {
  const float* img = image + imageOffset;
  float* dst = cols + colsOffset;
  i64 plane = (i64)outH * outW;
  i64 n = (i64)channels * kernelH * kernelW * plane;
  FOR_EACH(i, n) {
    i64 row = i / plane;
    int col = (int)(i - row * plane);
    int oh = col / outW;
    int ow = col - oh * outW;
    int kw = (int)(row % kernelW);
    int kh = (int)(row / kernelW % kernelH);
    int c = (int)(row / ((i64)kernelW * kernelH));
    int ih = oh * strideH - padH + kh;
    int iw = ow * strideW - padW + kw;
    float v = 0.0f;
    if (ih >= 0 && ih < height && iw >= 0 && iw < width) {
      v = img[((i64)c * height + ih) * width + iw];
    }
    dst[i] = v;
  }
}

// The adjoint of im2col as a gather: one thread per image element sums the column entries that
// im2col copied from it (in a fixed order: kernel rows, then kernel columns) and adds the sum.
extern "C" __global__ void zbmd_col2im(const float* __restrict__ cols, i64 colsOffset, float* image,
                                       i64 imageOffset, int channels, int height, int width,
                                       int kernelH, int kernelW, int strideH, int strideW, int padH,
                                       int padW, int outH, int outW) {
  const float* src = cols + colsOffset;
  float* img = image + imageOffset;
  i64 plane = (i64)outH * outW;
  i64 n = (i64)channels * height * width;
  FOR_EACH(i, n) {
    int iw = (int)(i % width);
    int ih = (int)(i / width % height);
    int c = (int)(i / ((i64)width * height));
    float sum = 0.0f;
    for (int kh = 0; kh < kernelH; kh++) {
      int y = ih + padH - kh;  // = oh * strideH
      if (y < 0 || y % strideH != 0) continue;
      int oh = y / strideH;
      if (oh >= outH) continue;
      for (int kw = 0; kw < kernelW; kw++) {
        int xw = iw + padW - kw;
        if (xw < 0 || xw % strideW != 0) continue;
        int ow = xw / strideW;
        if (ow >= outW) continue;
        i64 row = ((i64)c * kernelH + kh) * kernelW + kw;
        sum += src[row * plane + (i64)oh * outW + ow];
      }
    }
    img[i] += sum;
  }
}

// One thread per output; the first maximum in row-major window order, as the CPU reference.
extern "C" __global__ void zbmd_maxpool_forward(const float* __restrict__ x, float* y, int* indices,
                                                int planes, int height, int width, int kernel,
                                                int stride, int outH, int outW) {
  i64 n = (i64)planes * outH * outW;
  FOR_EACH(i, n) {
    int ow = (int)(i % outW);
    int oh = (int)(i / outW % outH);
    i64 p = i / ((i64)outW * outH);
    const float* plane = x + p * height * width;
    int h0 = oh * stride;
    int w0 = ow * stride;
    int best = h0 * width + w0;
    float m = plane[best];
    for (int kh = 0; kh < kernel; kh++) {
      for (int kw = 0; kw < kernel; kw++) {
        int at = (h0 + kh) * width + w0 + kw;
        float v = plane[at];
        if (v > m) {
          m = v;
          best = at;
        }
      }
    }
    y[i] = m;
    indices[i] = best;
  }
}

// A gather: one thread per input position sums the dy of the windows that cover it and chose it
// (overwriting dx). An index outside the plane matches no position: it is dropped, never written.
extern "C" __global__ void zbmd_maxpool_backward(const float* __restrict__ dy,
                                                 const int* __restrict__ indices, float* dx,
                                                 int planes, int height, int width, int kernel,
                                                 int stride, int outH, int outW) {
  i64 n = (i64)planes * height * width;
  FOR_EACH(i, n) {
    int w = (int)(i % width);
    int h = (int)(i / width % height);
    i64 p = i / ((i64)width * height);
    int at = h * width + w;
    // Windows (oh, ow) with oh * stride <= h < oh * stride + kernel.
    int ohLo = h - kernel + 1 <= 0 ? 0 : (h - kernel + stride) / stride;
    int ohHi = min(h / stride, outH - 1);
    int owLo = w - kernel + 1 <= 0 ? 0 : (w - kernel + stride) / stride;
    int owHi = min(w / stride, outW - 1);
    float sum = 0.0f;
    const i64 base = p * outH * outW;
    for (int oh = ohLo; oh <= ohHi; oh++) {
      for (int ow = owLo; ow <= owHi; ow++) {
        i64 o = base + (i64)oh * outW + ow;
        if (indices[o] == at) sum += dy[o];
      }
    }
    dx[i] = sum;
  }
}

// ---- softmax cross-entropy ----

// One block per row: the row maximum, the sum of exp(x - max) (in double), then the probabilities
// and the loss log(sum) - (x[label] - max). Every read of the row happens before the barrier that
// precedes the first write, so probs may be logits. A label outside [0, cols) gives a NaN loss.
extern "C" __global__ void __launch_bounds__(RBLOCK)
zbmd_softmax_ce_forward(const float* logits, const int* __restrict__ labels, float* probs,
                        float* losses, int rows, int cols) {
  __shared__ float smax[RBLOCK];
  __shared__ double ssum[RBLOCK];
  int r = blockIdx.x;
  int t = threadIdx.x;
  const float* row = logits + (i64)r * cols;
  float m = row[0];
  for (int c = t; c < cols; c += RBLOCK) m = java_max(m, row[c]);
  smax[t] = m;
  __syncthreads();
  for (int s = RBLOCK / 2; s > 0; s >>= 1) {
    if (t < s) smax[t] = java_max(smax[t], smax[t + s]);
    __syncthreads();
  }
  m = smax[0];
  double sum = 0.0;
  for (int c = t; c < cols; c += RBLOCK) sum += exp((double)(row[c] - m));
  ssum[t] = sum;
  int label = labels[r];
  float shifted = label >= 0 && label < cols ? row[label] - m : __int_as_float(0x7fc00000);
  __syncthreads();
  for (int s = RBLOCK / 2; s > 0; s >>= 1) {
    if (t < s) ssum[t] += ssum[t + s];
    __syncthreads();
  }
  sum = ssum[0];
  // All of the row is read (the sums above passed barriers) before any thread writes.
  float* prow = probs + (i64)r * cols;
  for (int c = t; c < cols; c += RBLOCK) prow[c] = (float)(exp((double)(row[c] - m)) / sum);
  if (t == 0) losses[r] = (float)(log(sum) - (double)shifted);
}

extern "C" __global__ void zbmd_softmax_ce_backward(const float* probs, const int* __restrict__ labels,
                                                    float* dlogits, int rows, int cols, float scale) {
  i64 n = (i64)rows * cols;
  FOR_EACH(i, n) {
    int r = (int)(i / cols);
    int c = (int)(i - (i64)r * cols);
    float target = labels[r] == c ? 1.0f : 0.0f;
    dlogits[i] = __fmul_rn(scale, __fsub_rn(probs[i], target));
  }
}

// ---- optimizers (the CPU reference's order of float operations, without fused multiply-adds) ----

extern "C" __global__ void zbmd_sgd(float* p, const float* __restrict__ grad, float* velocity, i64 n,
                                    float lr, float momentum, float weightDecay) {
  FOR_EACH(i, n) {
    float pi = p[i];
    float g = grad[i];
    if (weightDecay != 0.0f) g = __fadd_rn(g, __fmul_rn(weightDecay, pi));
    if (momentum != 0.0f) {
      g = __fadd_rn(__fmul_rn(momentum, velocity[i]), g);
      velocity[i] = g;
    }
    p[i] = __fsub_rn(pi, __fmul_rn(lr, g));
  }
}

// Scalars (stepSize = lr / (1 - b1^t), bc2Sqrt = sqrt(1 - b2^t), 1 - b1, 1 - b2) come from the host,
// computed in double and rounded to float as the CPU reference does.
extern "C" __global__ void zbmd_adam(float* p, const float* __restrict__ grad, float* m, float* v,
                                     i64 n, float stepSize, float beta2, float oneMinusBeta1,
                                     float oneMinusBeta2, float bc2Sqrt, float eps,
                                     float weightDecay) {
  FOR_EACH(i, n) {
    float pi = p[i];
    float g = grad[i];
    if (weightDecay != 0.0f) g = __fadd_rn(g, __fmul_rn(weightDecay, pi));
    float mi = m[i];
    mi = __fadd_rn(mi, __fmul_rn(oneMinusBeta1, __fsub_rn(g, mi)));
    float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(oneMinusBeta2, g), g));
    float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), eps);
    m[i] = mi;
    v[i] = vi;
    p[i] = __fsub_rn(pi, __fdiv_rn(__fmul_rn(stepSize, mi), denom));
  }
}

// ---- gemm ----
//
// C = alpha * op(A) op(B) + beta * C, row-major, batched through blockIdx.z. A block computes a
// 128 x 128 tile of C with 256 threads, each an 8 x 8 micro-tile (rows ty*4..+4 and 64+ty*4..+4,
// columns likewise, so that the shared-memory reads are float4 and conflict-free), stepping k by 8
// through shared memory. Loads are bounds-checked (zeros outside), so any shape works; transposes
// change only how a tile is read from global memory. C is not read when beta is 0 (BLAS).

#define BM 128
#define BN 128
#define BK 8

extern "C" __global__ void __launch_bounds__(256)
zbmd_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float* __restrict__ A,
           i64 aOffset, int lda, i64 strideA, const float* __restrict__ B, i64 bOffset, int ldb,
           i64 strideB, float beta, float* C, i64 cOffset, int ldc, i64 strideC) {
  __shared__ __align__(16) float As[2][BK][BM];
  __shared__ __align__(16) float Bs[2][BK][BN];

  const int batch = blockIdx.z;
  A += aOffset + batch * strideA;
  B += bOffset + batch * strideB;
  C += cOffset + batch * strideC;

  const int tid = threadIdx.x;
  const int tx = tid % 16;
  const int ty = tid / 16;
  const int row0 = blockIdx.y * BM;
  const int col0 = blockIdx.x * BN;

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

  // Each thread loads 4 of the 1024 values of each tile, at linear positions tid * 4 + e; the
  // mapping to (row, k) makes consecutive threads read consecutive global addresses.
  float ra[4], rb[4];
  auto loadA = [&](int k0) {
#pragma unroll
    for (int e = 0; e < 4; e++) {
      int idx = tid * 4 + e;
      int mm, kk;
      if (transA) { kk = idx / BM; mm = idx % BM; } else { mm = idx / BK; kk = idx % BK; }
      int gr = row0 + mm, gk = k0 + kk;
      float v = 0.0f;
      if (gr < m && gk < k) v = transA ? A[(i64)gk * lda + gr] : A[(i64)gr * lda + gk];
      ra[e] = v;
    }
  };
  auto loadB = [&](int k0) {
#pragma unroll
    for (int e = 0; e < 4; e++) {
      int idx = tid * 4 + e;
      int nn, kk;
      if (transB) { nn = idx / BK; kk = idx % BK; } else { kk = idx / BN; nn = idx % BN; }
      int gc = col0 + nn, gk = k0 + kk;
      float v = 0.0f;
      if (gc < n && gk < k) v = transB ? B[(i64)gc * ldb + gk] : B[(i64)gk * ldb + gc];
      rb[e] = v;
    }
  };
  auto store = [&](int buf) {
#pragma unroll
    for (int e = 0; e < 4; e++) {
      int idx = tid * 4 + e;
      if (transA) As[buf][idx / BM][idx % BM] = ra[e]; else As[buf][idx % BK][idx / BK] = ra[e];
      if (transB) Bs[buf][idx % BK][idx / BK] = rb[e]; else Bs[buf][idx / BN][idx % BN] = rb[e];
    }
  };

  int tiles = (k + BK - 1) / BK;
  loadA(0);
  loadB(0);
  store(0);
  __syncthreads();
  for (int t = 0; t < tiles; t++) {
    int cur = t & 1;
    // Prefetch the next tile into registers while this one is multiplied (double buffering).
    if (t + 1 < tiles) {
      loadA((t + 1) * BK);
      loadB((t + 1) * BK);
    }
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[8], b[8];
      float4 a0 = *reinterpret_cast<const float4*>(&As[cur][kk][ty * 4]);
      float4 a1 = *reinterpret_cast<const float4*>(&As[cur][kk][64 + ty * 4]);
      float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][kk][tx * 4]);
      float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][kk][64 + tx * 4]);
      a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
      a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
      b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
      b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
      for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (t + 1 < tiles) {
      store(cur ^ 1);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 8; i++) {
    int r = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (r >= m) continue;
#pragma unroll
    for (int j = 0; j < 8; j++) {
      int c = col0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + (j - 4));
      if (c >= n) continue;
      float* dst = C + (i64)r * ldc + c;
      float v = alpha * acc[i][j];
      if (beta != 0.0f) v = fmaf(beta, *dst, v);
      *dst = v;
    }
  }
}
