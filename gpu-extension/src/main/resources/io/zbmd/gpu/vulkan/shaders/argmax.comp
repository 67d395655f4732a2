// Index of the largest value of each row, the first on ties (strict comparison).
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) buffer Out { int o[]; };
layout(push_constant) uniform Params { uint rows; uint cols; } p;

void main() {
  GRID_STRIDE(r, p.rows) {
    uint base = r * p.cols;
    float best = x[base];
    uint at = 0u;
    for (uint c = 1u; c < p.cols; c++) {
      float v = x[base + c];
      if (v > best) {
        best = v;
        at = c;
      }
    }
    o[r] = int(at);
  }
}
