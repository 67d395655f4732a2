package io.zbmd.gpu.cpu;

import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.PoolGeometry;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Image kernels: im2col/col2im for convolutions and max pooling. Gathers (im2col, pool forward)
 * split over output rows; scatters that add into shared positions (col2im, pool backward) split
 * over whole planes, so each position receives its contributions from one thread, in one order.
 */
final class CpuImage {
  private CpuImage() {}

  /**
   * Row {@code (c * kernelH + kh) * kernelW + kw} of the column matrix holds, for each output
   * position {@code (oh, ow)}, the image value under kernel tap {@code (kh, kw)}: {@code
   * image[c][oh * strideH - padH + kh][ow * strideW - padW + kw]}, or 0 in the padding.
   */
  static void im2col(Parallel par, FloatBuffer image, int imageOffset, ConvGeometry g,
      FloatBuffer cols, int colsOffset) {
    int outH = g.outHeight();
    int outW = g.outWidth();
    int taps = g.kernelH() * g.kernelW();
    par.forEach(g.channels() * taps, (long) outH * outW, (from, to) -> {
      for (int row = from; row < to; row++) {
        int c = row / taps;
        int kh = row % taps / g.kernelW();
        int kw = row % g.kernelW();
        int plane = imageOffset + c * g.height() * g.width();
        int dst = colsOffset + row * outH * outW;
        for (int oh = 0; oh < outH; oh++) {
          int ih = oh * g.strideH() - g.padH() + kh;
          boolean rowInside = ih >= 0 && ih < g.height();
          for (int ow = 0; ow < outW; ow++) {
            int iw = ow * g.strideW() - g.padW() + kw;
            float v = rowInside && iw >= 0 && iw < g.width() ? image.get(plane + ih * g.width() + iw) : 0f;
            cols.put(dst++, v);
          }
        }
      }
    });
  }

  /** The adjoint of {@link #im2col}: adds each column entry into its image position. */
  static void col2im(Parallel par, FloatBuffer cols, int colsOffset, ConvGeometry g,
      FloatBuffer image, int imageOffset) {
    int outH = g.outHeight();
    int outW = g.outWidth();
    int taps = g.kernelH() * g.kernelW();
    par.forEach(g.channels(), (long) taps * outH * outW, (from, to) -> {
      for (int c = from; c < to; c++) {
        int plane = imageOffset + c * g.height() * g.width();
        for (int tap = 0; tap < taps; tap++) {
          int kh = tap / g.kernelW();
          int kw = tap % g.kernelW();
          int src = colsOffset + (c * taps + tap) * outH * outW;
          for (int oh = 0; oh < outH; oh++) {
            int ih = oh * g.strideH() - g.padH() + kh;
            if (ih < 0 || ih >= g.height()) {
              src += outW;
              continue;
            }
            for (int ow = 0; ow < outW; ow++, src++) {
              int iw = ow * g.strideW() - g.padW() + kw;
              if (iw >= 0 && iw < g.width()) {
                int at = plane + ih * g.width() + iw;
                image.put(at, image.get(at) + cols.get(src));
              }
            }
          }
        }
      }
    });
  }

  /** Each window's maximum; on ties the first in row-major window order, as PyTorch. */
  static void maxPoolForward(Parallel par, FloatBuffer x, FloatBuffer y, IntBuffer indices,
      PoolGeometry g) {
    int outH = g.outHeight();
    int outW = g.outWidth();
    int k = g.kernel();
    par.forEach(g.planes() * outH, (long) outW * k * k, (from, to) -> {
      for (int row = from; row < to; row++) {
        int p = row / outH;
        int oh = row % outH;
        int plane = p * g.height() * g.width();
        int dst = row * outW;
        for (int ow = 0; ow < outW; ow++, dst++) {
          int h0 = oh * g.stride();
          int w0 = ow * g.stride();
          int best = h0 * g.width() + w0;
          float max = x.get(plane + best);
          for (int kh = 0; kh < k; kh++) {
            for (int kw = 0; kw < k; kw++) {
              int at = (h0 + kh) * g.width() + w0 + kw;
              float v = x.get(plane + at);
              if (v > max) {
                max = v;
                best = at;
              }
            }
          }
          y.put(dst, max);
          indices.put(dst, best);
        }
      }
    });
  }

  /**
   * Clears {@code dx} and adds each {@code dy} to its recorded position (windows that overlap may
   * route several to one position). Indices are device data, so they are checked here first.
   */
  static void maxPoolBackward(Parallel par, FloatBuffer dy, IntBuffer indices, FloatBuffer dx,
      PoolGeometry g) {
    int planeIn = g.height() * g.width();
    int planeOut = g.outHeight() * g.outWidth();
    for (int i = 0, n = g.planes() * planeOut; i < n; i++) {
      int at = indices.get(i);
      if (at < 0 || at >= planeIn) {
        throw new IllegalArgumentException("maxPoolBackward: indices[" + i + "] = " + at
            + " is not a position in a " + g.height() + "x" + g.width() + " plane");
      }
    }
    par.forEach(g.planes(), planeIn + planeOut, (from, to) -> {
      for (int p = from; p < to; p++) {
        int in = p * planeIn;
        for (int i = 0; i < planeIn; i++) {
          dx.put(in + i, 0f);
        }
        for (int o = p * planeOut, end = o + planeOut; o < end; o++) {
          int at = in + indices.get(o);
          dx.put(at, dx.get(at) + dy.get(o));
        }
      }
    });
  }
}
