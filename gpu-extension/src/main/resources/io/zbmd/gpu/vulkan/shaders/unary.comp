// y[i] = f(x[i]); the op code is io.zbmd.gpu.UnaryOp's ordinal.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; uint op; } p;

float apply(uint op, float v) {
  switch (op) {
    case 0u: return -v;                       // NEG
    case 1u: return abs(v);                   // ABS
    case 2u: return exp(v);                   // EXP
    case 3u: return log(v);                   // LOG
    case 4u: return sqrt(v);                  // SQRT
    case 5u: return v * v;                    // SQUARE
    case 6u: return 1.0 / v;                  // RECIPROCAL
    case 7u: {                                // TANH, from exp(-2|v|) <= 1: no overflow to inf/inf
      float t = exp(-2.0 * abs(v));
      float r = (1.0 - t) / (1.0 + t);
      return isnan(v) ? v : (v < 0.0 ? -r : r);
    }
    case 8u: return 1.0 / (1.0 + exp(-v));    // SIGMOID
    case 9u: return (v > 0.0 || isnan(v)) ? v : 0.0; // RELU: NaN kept, -0 gives +0
  }
  return v;
}

void main() {
  GRID_STRIDE(i, p.n) {
    y[i] = apply(p.op, x[i]);
  }
}
