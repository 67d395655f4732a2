// dlogits = scale * (probs - onehot(label)), elementwise, so dlogits may be probs.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Probs { float probs[]; };
layout(std430, binding = 1) buffer Labels { int labels[]; };
layout(std430, binding = 2) buffer Grad { float d[]; };
layout(push_constant) uniform Params { uint rows; uint cols; float scale; } p;

void main() {
  GRID_STRIDE(i, p.rows * p.cols) {
    int label = labels[i / p.cols];
    float target = int(i % p.cols) == label ? 1.0 : 0.0;
    d[i] = p.scale * (probs[i] - target);
  }
}
