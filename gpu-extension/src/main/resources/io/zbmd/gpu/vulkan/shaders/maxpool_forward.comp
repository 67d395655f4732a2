// One invocation per output: the window's maximum and its position h * width + w in the plane,
// the first in row-major window order on ties.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(std430, binding = 2) buffer Indices { int idx[]; };
layout(push_constant) uniform Params {
  uint planes, height, width, kernel, stride, outH, outW;
} p;

void main() {
  uint perPlane = p.outH * p.outW;
  GRID_STRIDE(o, p.planes * perPlane) {
    uint plane = (o / perPlane) * p.height * p.width;
    uint oh = (o % perPlane) / p.outW;
    uint ow = o % p.outW;
    uint h0 = oh * p.stride;
    uint w0 = ow * p.stride;
    uint best = h0 * p.width + w0;
    float m = x[plane + best];
    for (uint kh = 0u; kh < p.kernel; kh++) {
      for (uint kw = 0u; kw < p.kernel; kw++) {
        uint at = (h0 + kh) * p.width + w0 + kw;
        float v = x[plane + at];
        if (v > m) {
          m = v;
          best = at;
        }
      }
    }
    y[o] = m;
    idx[o] = int(best);
  }
}
