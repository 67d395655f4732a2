// C = alpha * op(A) * op(B) + beta * C, row-major with leading dimensions and element offsets;
// batch b (workgroup z + batchBase) shifts each matrix by its stride. A workgroup of GEMM_THREADS x
// GEMM_THREADS invocations computes a 64 x 64 tile of C, GEMM_PER x GEMM_PER values per invocation
// (defines: 16 x 16 invocations of 4 x 4 on GPUs; 8 x 8 of 8 x 8 on CPU devices, where fewer
// invocations between barriers run much faster), staging 64 x 16 of A and 16 x 64 of B in shared
// memory per step of k. The loads are laid out so that neighbouring invocations read neighbouring
// addresses in both the plain and the transposed layout.
layout(local_size_x = GEMM_THREADS, local_size_y = GEMM_THREADS) in;
layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) buffer B { float b[]; };
layout(std430, binding = 2) buffer C { float c[]; };
layout(push_constant) uniform Params {
  uint m, n, k, lda, ldb, ldc;
  uint aOff, bOff, cOff;
  uint strideA, strideB, strideC;
  float alpha, beta;
  uint flags; // bit 0: A transposed, bit 1: B transposed
  uint batchBase;
} p;

#define PER GEMM_PER
#define TM (GEMM_THREADS * PER)
#define TN (GEMM_THREADS * PER)
#define TK 16
#define INVOCATIONS (GEMM_THREADS * GEMM_THREADS)
shared float As[TK][TM + 1];
shared float Bs[TK][TN + 1];

void main() {
  uint batch = gl_WorkGroupID.z + p.batchBase;
  uint row0 = gl_WorkGroupID.y * TM;
  uint col0 = gl_WorkGroupID.x * TN;
  uint tx = gl_LocalInvocationID.x;
  uint ty = gl_LocalInvocationID.y;
  uint tid = ty * GEMM_THREADS + tx;
  bool ta = (p.flags & 1u) != 0u;
  bool tb = (p.flags & 2u) != 0u;
  uint aBase = p.aOff + batch * p.strideA;
  uint bBase = p.bOff + batch * p.strideB;
  uint cBase = p.cOff + batch * p.strideC;

  float acc[PER][PER];
  for (uint i = 0u; i < PER; i++) {
    for (uint j = 0u; j < PER; j++) {
      acc[i][j] = 0.0;
    }
  }

  for (uint k0 = 0u; k0 < p.k; k0 += TK) {
    for (uint e = tid; e < TM * TK; e += INVOCATIONS) {
      // Plain A is m x k (k contiguous); transposed A is stored k x m (m contiguous).
      uint r = ta ? e % TM : e / TK;
      uint kk = ta ? e / TM : e % TK;
      uint gr = row0 + r;
      uint gk = k0 + kk;
      float v = 0.0;
      if (gr < p.m && gk < p.k) {
        v = ta ? a[aBase + gk * p.lda + gr] : a[aBase + gr * p.lda + gk];
      }
      As[kk][r] = v;
    }
    for (uint e = tid; e < TK * TN; e += INVOCATIONS) {
      // Plain B is k x n (n contiguous); transposed B is stored n x k (k contiguous).
      uint col = tb ? e / TK : e % TN;
      uint kk = tb ? e % TK : e / TN;
      uint gc = col0 + col;
      uint gk = k0 + kk;
      float v = 0.0;
      if (gc < p.n && gk < p.k) {
        v = tb ? b[bBase + gc * p.ldb + gk] : b[bBase + gk * p.ldb + gc];
      }
      Bs[kk][col] = v;
    }
    barrier();
    for (uint kk = 0u; kk < TK; kk++) {
      float ar[PER];
      float br[PER];
      for (uint i = 0u; i < PER; i++) {
        ar[i] = As[kk][ty + GEMM_THREADS * i];
        br[i] = Bs[kk][tx + GEMM_THREADS * i];
      }
      for (uint i = 0u; i < PER; i++) {
        for (uint j = 0u; j < PER; j++) {
          acc[i][j] += ar[i] * br[j];
        }
      }
    }
    barrier();
  }

  for (uint i = 0u; i < PER; i++) {
    uint gr = row0 + ty + GEMM_THREADS * i;
    for (uint j = 0u; j < PER; j++) {
      uint gc = col0 + tx + GEMM_THREADS * j;
      if (gr < p.m && gc < p.n) {
        uint at = cBase + gr * p.ldc + gc;
        float v = p.alpha * acc[i][j];
        // As BLAS: C is not read when beta is 0, so NaN there does not propagate.
        if (p.beta != 0.0) {
          v += p.beta * c[at];
        }
        c[at] = v;
      }
    }
  }
}
