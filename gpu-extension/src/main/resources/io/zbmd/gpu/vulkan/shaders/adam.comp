// PyTorch's Adam, in the CPU backend's order of operations; the scalars (lr / (1 - beta1^step),
// sqrt(1 - beta2^step), 1 - beta1, 1 - beta2) are computed on the host as the CPU backend does.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Param { float param[]; };
layout(std430, binding = 1) buffer Grad { float grad[]; };
layout(std430, binding = 2) buffer M { float mom[]; };
layout(std430, binding = 3) buffer V { float vel[]; };
layout(push_constant) uniform Params {
  uint n;
  float stepSize, beta2, eps, weightDecay, bc2Sqrt, oneMinusBeta1, oneMinusBeta2;
} p;

void main() {
  GRID_STRIDE(i, p.n) {
    float pi = param[i];
    float g = grad[i];
    if (p.weightDecay != 0.0) {
      g = g + p.weightDecay * pi;
    }
    float mi = mom[i];
    mi = mi + p.oneMinusBeta1 * (g - mi);
    float vi = p.beta2 * vel[i] + p.oneMinusBeta2 * g * g;
    float denom = sqrt(vi) / p.bc2Sqrt + p.eps;
    mom[i] = mi;
    vel[i] = vi;
    param[i] = pi - p.stepSize * mi / denom;
  }
}
