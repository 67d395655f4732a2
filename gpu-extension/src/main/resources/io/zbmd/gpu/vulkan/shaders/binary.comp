// out = f(a, b) over rows x cols, b broadcast as io.zbmd.gpu.Broadcast's ordinal says (NONE, ROW,
// COLUMN, SCALAR); the op code is io.zbmd.gpu.BinaryOp's ordinal.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer In0 { float a[]; };
layout(std430, binding = 1) buffer In1 { float b[]; };
layout(std430, binding = 2) buffer Out { float o[]; };
layout(push_constant) uniform Params { uint rows; uint cols; uint op; uint broadcast; } p;

float apply(uint op, float x, float y) {
  switch (op) {
    case 0u: return x + y;                // ADD
    case 1u: return x - y;                // SUB
    case 2u: return x * y;                // MUL
    case 3u: return x / y;                // DIV
    case 4u: return maxNan(x, y);         // MAX
    case 5u: return minNan(x, y);         // MIN
    case 6u: return y > 0.0 ? x : 0.0;    // RELU_GRAD
  }
  return x;
}

void main() {
  GRID_STRIDE(i, p.rows * p.cols) {
    uint bi;
    switch (p.broadcast) {
      case 0u: bi = i; break;
      case 1u: bi = i % p.cols; break;
      case 2u: bi = i / p.cols; break;
      default: bi = 0u; break;
    }
    o[i] = apply(p.op, a[i], b[bi]);
  }
}
