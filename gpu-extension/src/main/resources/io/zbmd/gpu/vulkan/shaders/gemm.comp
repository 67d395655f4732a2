// C = alpha * op(A) * op(B) + beta * C, row-major with leading dimensions and element offsets;
// batch b (workgroup z + batchBase) shifts each matrix by its stride. Each 16x16 workgroup computes
// a 64x64 tile of C, 4x4 values per invocation, staging 64x16 of A and 16x64 of B in shared memory
// per step of k. The loads are laid out so that neighbouring invocations read neighbouring
// addresses in both the plain and the transposed layout.
layout(local_size_x = 16, local_size_y = 16) in;
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

#define TM 64
#define TN 64
#define TK 16
shared float As[TK][TM + 1];
shared float Bs[TK][TN + 1];

void main() {
  uint batch = gl_WorkGroupID.z + p.batchBase;
  uint row0 = gl_WorkGroupID.y * TM;
  uint col0 = gl_WorkGroupID.x * TN;
  uint tx = gl_LocalInvocationID.x;
  uint ty = gl_LocalInvocationID.y;
  uint tid = ty * 16u + tx;
  bool ta = (p.flags & 1u) != 0u;
  bool tb = (p.flags & 2u) != 0u;
  uint aBase = p.aOff + batch * p.strideA;
  uint bBase = p.bOff + batch * p.strideB;
  uint cBase = p.cOff + batch * p.strideC;

  float acc[4][4];
  for (uint i = 0u; i < 4u; i++) {
    for (uint j = 0u; j < 4u; j++) {
      acc[i][j] = 0.0;
    }
  }

  for (uint k0 = 0u; k0 < p.k; k0 += TK) {
    for (uint e = tid; e < TM * TK; e += 256u) {
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
    for (uint e = tid; e < TK * TN; e += 256u) {
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
      float ar[4];
      float br[4];
      for (uint i = 0u; i < 4u; i++) {
        ar[i] = As[kk][ty + 16u * i];
        br[i] = Bs[kk][tx + 16u * i];
      }
      for (uint i = 0u; i < 4u; i++) {
        for (uint j = 0u; j < 4u; j++) {
          acc[i][j] += ar[i] * br[j];
        }
      }
    }
    barrier();
  }

  for (uint i = 0u; i < 4u; i++) {
    uint gr = row0 + ty + 16u * i;
    for (uint j = 0u; j < 4u; j++) {
      uint gc = col0 + tx + 16u * j;
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
