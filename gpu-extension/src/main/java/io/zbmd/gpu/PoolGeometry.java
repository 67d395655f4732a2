package io.zbmd.gpu;

/**
 * Shape for max pooling: {@code planes} independent {@code height x width} planes (batch times
 * channels), a {@code kernel x kernel} window moved by {@code stride}, no padding.
 */
public record PoolGeometry(int planes, int height, int width, int kernel, int stride) {
  public PoolGeometry {
    if (planes <= 0 || height <= 0 || width <= 0 || kernel <= 0 || stride <= 0) {
      throw new IllegalArgumentException("invalid pooling geometry planes=" + planes + " height="
          + height + " width=" + width + " kernel=" + kernel + " stride=" + stride);
    }
    if (kernel > height || kernel > width) {
      throw new IllegalArgumentException("pool kernel " + kernel + " larger than plane " + height + "x" + width);
    }
  }

  public int outHeight() {
    return (height - kernel) / stride + 1;
  }

  public int outWidth() {
    return (width - kernel) / stride + 1;
  }

  public long inputSize() {
    return (long) planes * height * width;
  }

  public long outputSize() {
    return (long) planes * outHeight() * outWidth();
  }
}
