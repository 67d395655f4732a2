// Fused, numerically stable softmax and cross-entropy, one workgroup per row: m = max x;
// sum = sum exp(x - m); p = exp(x - m) / sum; loss = log(sum) - (x[label] - m). Every read of the
// row happens before the barrier that precedes the writes, so probs may be logits. A label outside
// [0, cols) gives a NaN loss (it is never used as an index).
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Logits { float x[]; };
layout(std430, binding = 1) buffer Labels { int labels[]; };
layout(std430, binding = 2) buffer Probs { float probs[]; };
layout(std430, binding = 3) buffer Losses { float losses[]; };
layout(push_constant) uniform Params { uint rows; uint cols; } p;

shared float part[BLOCK_SIZE];

void main() {
  uint tid = gl_LocalInvocationID.x;
  for (uint r = gl_WorkGroupID.x; r < p.rows; r += gl_NumWorkGroups.x) {
    uint base = r * p.cols;
    float m = NEG_INF;
    for (uint c = tid; c < p.cols; c += BLOCK_SIZE) {
      m = maxNan(m, x[base + c]);
    }
    part[tid] = m;
    barrier();
    for (uint s = BLOCK_SIZE / 2u; s > 0u; s >>= 1u) {
      if (tid < s) {
        part[tid] = maxNan(part[tid], part[tid + s]);
      }
      barrier();
    }
    m = part[0];
    barrier();

    float labelLogit = 0.0;
    if (tid == 0u) {
      int label = labels[r];
      labelLogit = label >= 0 && uint(label) < p.cols ? x[base + uint(label)] : QUIET_NAN;
    }
    float sum = 0.0;
    for (uint c = tid; c < p.cols; c += BLOCK_SIZE) {
      sum += exp(x[base + c] - m);
    }
    part[tid] = sum;
    barrier();
    for (uint s = BLOCK_SIZE / 2u; s > 0u; s >>= 1u) {
      if (tid < s) {
        part[tid] += part[tid + s];
      }
      barrier();
    }
    sum = part[0];
    barrier();

    for (uint c = tid; c < p.cols; c += BLOCK_SIZE) {
      probs[base + c] = exp(x[base + c] - m) / sum;
    }
    if (tid == 0u) {
      losses[r] = log(sum) - (labelLogit - m);
    }
  }
}
