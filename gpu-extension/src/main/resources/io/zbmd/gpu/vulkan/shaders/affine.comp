// y[i] = scale * x[i] + shift.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; float scale; float shift; } p;

void main() {
  GRID_STRIDE(i, p.n) {
    y[i] = p.scale * x[i] + p.shift;
  }
}
