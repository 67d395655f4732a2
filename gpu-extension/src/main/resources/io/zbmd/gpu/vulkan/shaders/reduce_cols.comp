// Reduces each column of a rows x cols matrix (axis 0): one invocation per column walks the rows in
// order (neighbouring invocations read neighbouring addresses). Op codes as reduce_rows.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) buffer Out { float o[]; };
layout(push_constant) uniform Params { uint rows; uint cols; uint op; } p;

void main() {
  GRID_STRIDE(c, p.cols) {
    if (p.op == 1u) {
      float acc = x[c];
      for (uint r = 1u; r < p.rows; r++) {
        acc = maxNan(acc, x[r * p.cols + c]);
      }
      o[c] = acc;
    } else {
      float acc = 0.0;
      for (uint r = 0u; r < p.rows; r++) {
        acc += x[r * p.cols + c];
      }
      o[c] = p.op == 2u ? acc / float(p.rows) : acc;
    }
  }
}
