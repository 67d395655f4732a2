// Reduces each row of a rows x cols matrix (axis 1): one workgroup per row, each invocation folding
// a strided part of the row, then a tree in shared memory. The order is fixed, so the result is too.
// Op codes: io.zbmd.gpu.ReduceOp's ordinal (SUM, MAX, MEAN).
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) buffer Out { float o[]; };
layout(push_constant) uniform Params { uint rows; uint cols; uint op; } p;

shared float part[BLOCK_SIZE];

void main() {
  uint tid = gl_LocalInvocationID.x;
  bool isMax = p.op == 1u;
  for (uint r = gl_WorkGroupID.x; r < p.rows; r += gl_NumWorkGroups.x) {
    uint base = r * p.cols;
    float acc = isMax ? NEG_INF : 0.0;
    for (uint c = tid; c < p.cols; c += BLOCK_SIZE) {
      float v = x[base + c];
      acc = isMax ? maxNan(acc, v) : acc + v;
    }
    part[tid] = acc;
    barrier();
    for (uint s = BLOCK_SIZE / 2u; s > 0u; s >>= 1u) {
      if (tid < s) {
        part[tid] = isMax ? maxNan(part[tid], part[tid + s]) : part[tid] + part[tid + s];
      }
      barrier();
    }
    if (tid == 0u) {
      float v = part[0];
      o[r] = p.op == 2u ? v / float(p.cols) : v;
    }
    barrier();
  }
}
