// PyTorch's SGD, in the CPU backend's order of operations: g = grad + wd * p;
// v = momentum * v + g; p -= lr * v (without momentum, velocity is not touched).
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Param { float param[]; };
layout(std430, binding = 1) buffer Grad { float grad[]; };
layout(std430, binding = 2) buffer Velocity { float velocity[]; };
layout(push_constant) uniform Params { uint n; float lr; float momentum; float weightDecay; } p;

void main() {
  GRID_STRIDE(i, p.n) {
    float pi = param[i];
    float g = grad[i];
    if (p.weightDecay != 0.0) {
      g = g + p.weightDecay * pi;
    }
    if (p.momentum != 0.0) {
      g = p.momentum * velocity[i] + g;
      velocity[i] = g;
    }
    param[i] = pi - p.lr * g;
  }
}
