// The adjoint of im2col in gather form: one invocation per image value sums the column entries
// that im2col took from it, in kernel-tap order, onto the value already there. No atomics, so the
// result is deterministic, and the order of additions is the CPU backend's.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Cols { float cols[]; };
layout(std430, binding = 1) buffer Image { float img[]; };
layout(push_constant) uniform Params {
  uint colsOff, imgOff;
  int channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW;
} p;

void main() {
  uint plane = uint(p.height * p.width);
  uint total = uint(p.channels) * plane;
  int positions = p.outH * p.outW;
  GRID_STRIDE(i, total) {
    int c = int(i / plane);
    int ih = int(i % plane) / p.width;
    int iw = int(i % plane) % p.width;
    float acc = img[p.imgOff + i];
    for (int kh = 0; kh < p.kernelH; kh++) {
      int th = ih + p.padH - kh;
      if (th < 0 || th % p.strideH != 0 || th / p.strideH >= p.outH) {
        continue;
      }
      int oh = th / p.strideH;
      for (int kw = 0; kw < p.kernelW; kw++) {
        int tw = iw + p.padW - kw;
        if (tw < 0 || tw % p.strideW != 0 || tw / p.strideW >= p.outW) {
          continue;
        }
        int ow = tw / p.strideW;
        int row = (c * p.kernelH + kh) * p.kernelW + kw;
        acc += cols[p.colsOff + uint(row * positions + oh * p.outW + ow)];
      }
    }
    img[p.imgOff + i] = acc;
  }
}
