// Gather form: one invocation per input value sums dy over the windows that cover it and whose
// recorded index is this position, in output order (the CPU backend's order), from 0. No atomics;
// a bad index only fails to match, never reads or writes outside the buffers.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Dy { float dy[]; };
layout(std430, binding = 1) buffer Indices { int idx[]; };
layout(std430, binding = 2) buffer Dx { float dx[]; };
layout(push_constant) uniform Params {
  int planes, height, width, kernel, stride, outH, outW;
} p;

void main() {
  uint planeIn = uint(p.height * p.width);
  GRID_STRIDE(i, uint(p.planes) * planeIn) {
    int plane = int(i / planeIn);
    int pos = int(i % planeIn);
    int h = pos / p.width;
    int w = pos % p.width;
    // Windows oh with oh * stride <= h <= oh * stride + kernel - 1, within the output.
    int ohLo = h >= p.kernel ? (h - p.kernel + p.stride) / p.stride : 0;
    int ohHi = min(h / p.stride, p.outH - 1);
    int owLo = w >= p.kernel ? (w - p.kernel + p.stride) / p.stride : 0;
    int owHi = min(w / p.stride, p.outW - 1);
    float acc = 0.0;
    for (int oh = ohLo; oh <= ohHi; oh++) {
      for (int ow = owLo; ow <= owHi; ow++) {
        uint o = uint((plane * p.outH + oh) * p.outW + ow);
        if (idx[o] == pos) {
          acc += dy[o];
        }
      }
    }
    dx[i] = acc;
  }
}
