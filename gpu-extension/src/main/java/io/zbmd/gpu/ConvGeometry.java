package io.zbmd.gpu;

/**
 * Shape of one image for im2col/col2im: {@code channels x height x width}, a {@code kernelH x
 * kernelW} window moved by {@code stride} over the image padded with {@code pad} zeros. The column
 * matrix is {@code (channels * kernelH * kernelW) x (outHeight * outWidth)}, row-major.
 */
public record ConvGeometry(
    int channels, int height, int width, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
  public ConvGeometry {
    if (channels <= 0 || height <= 0 || width <= 0 || kernelH <= 0 || kernelW <= 0
        || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0) {
      throw new IllegalArgumentException("invalid convolution geometry " + fields(channels, height,
          width, kernelH, kernelW, strideH, strideW, padH, padW));
    }
    if (height + 2 * padH < kernelH || width + 2 * padW < kernelW) {
      throw new IllegalArgumentException("kernel " + kernelH + "x" + kernelW
          + " larger than padded image " + (height + 2 * padH) + "x" + (width + 2 * padW));
    }
  }

  private static String fields(int... v) {
    return java.util.Arrays.toString(v) + " (channels, height, width, kernelH, kernelW, strideH,"
        + " strideW, padH, padW)";
  }

  public int outHeight() {
    return (height + 2 * padH - kernelH) / strideH + 1;
  }

  public int outWidth() {
    return (width + 2 * padW - kernelW) / strideW + 1;
  }

  /** Values in one image. */
  public long imageSize() {
    return (long) channels * height * width;
  }

  /** Values in one column matrix. */
  public long columnsSize() {
    return (long) channels * kernelH * kernelW * outHeight() * outWidth();
  }
}
