// One invocation per column-matrix entry: row (c * kernelH + kh) * kernelW + kw, column
// oh * outW + ow holds image[c][oh * strideH - padH + kh][ow * strideW - padW + kw], 0 in padding.
layout(local_size_x = BLOCK_SIZE) in;
layout(std430, binding = 0) buffer Image { float img[]; };
layout(std430, binding = 1) buffer Cols { float cols[]; };
layout(push_constant) uniform Params {
  uint imgOff, colsOff;
  int channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW;
} p;

void main() {
  uint positions = uint(p.outH * p.outW);
  uint total = uint(p.channels * p.kernelH * p.kernelW) * positions;
  GRID_STRIDE(i, total) {
    int row = int(i / positions);
    int pos = int(i % positions);
    int oh = pos / p.outW;
    int ow = pos % p.outW;
    int taps = p.kernelH * p.kernelW;
    int c = row / taps;
    int kh = (row % taps) / p.kernelW;
    int kw = row % p.kernelW;
    int ih = oh * p.strideH - p.padH + kh;
    int iw = ow * p.strideW - p.padW + kw;
    float v = 0.0;
    if (ih >= 0 && ih < p.height && iw >= 0 && iw < p.width) {
      v = img[p.imgOff + uint((c * p.height + ih) * p.width + iw)];
    }
    cols[p.colsOff + i] = v;
  }
}
