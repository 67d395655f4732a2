package io.zbmd.ml.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Conv2d}: PyTorch's layout and values, accumulation and shape checks. */
class Conv2dTest extends MlTestSupport {

  /**
   * The definition: y[n][o][i][j] = b[o] + sum over c, kh, kw of w[o][c][kh][kw] x[n][c][..][..].
   */
  private static double[] reference(
      float[] x,
      int n,
      int c,
      int h,
      int w,
      float[] weight,
      float[] bias,
      int out,
      int kh,
      int kw,
      int sh,
      int sw,
      int ph,
      int pw) {
    int oh = (h + 2 * ph - kh) / sh + 1;
    int ow = (w + 2 * pw - kw) / sw + 1;
    double[] y = new double[n * out * oh * ow];
    for (int b = 0; b < n; b++) {
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double s = bias == null ? 0 : bias[o];
            for (int ch = 0; ch < c; ch++) {
              for (int p = 0; p < kh; p++) {
                for (int q = 0; q < kw; q++) {
                  int r = i * sh - ph + p;
                  int col = j * sw - pw + q;
                  if (r >= 0 && r < h && col >= 0 && col < w) {
                    s +=
                        (double) weight[((o * c + ch) * kh + p) * kw + q]
                            * x[((b * c + ch) * h + r) * w + col];
                  }
                }
              }
            }
            y[((b * out + o) * oh + i) * ow + j] = s;
          }
        }
      }
    }
    return y;
  }

  @Test
  void forwardMatchesTheDefinitionInNchwLayout() {
    SplittableRandom rnd = new SplittableRandom(1);
    int n = 3;
    int c = 2;
    int h = 9;
    int w = 7;
    int out = 4;
    Conv2d conv = run(ops -> new Conv2d(ops, alloc, c, out, 3, 2, 2, 1, 1, 0, true, rnd));
    assertEquals(List.of("weight", "bias"), List.copyOf(conv.parameters().keySet()));
    assertArrayEquals(new int[] {out, c, 3, 2}, conv.parameters().get("weight").shape());
    float[] weight = download(conv.parameters().get("weight").value());
    float[] bias = download(conv.parameters().get("bias").value());
    float[] x = uniform(rnd, n * c * h * w, -1, 1);
    Tensor input = upload(x, n, c, h, w);
    Tensor y = run(ops -> conv.forward(ops, input, false));
    // (9 + 2 - 3) / 2 + 1 = 5 rows, (7 - 2) / 1 + 1 = 6 columns
    assertArrayEquals(new int[] {n, out, 5, 6}, y.shape());
    assertClose(
        "y",
        reference(x, n, c, h, w, weight, bias, out, 3, 2, 2, 1, 1, 0),
        download(y),
        1e-5,
        1e-6);

    // A batch of another size reuses the layer (and a smaller one, its buffers).
    Tensor one = upload(java.util.Arrays.copyOf(x, c * h * w), 1, c, h, w);
    float[] y1 = run(ops -> conv.forward(ops, one, false).toHost(ops));
    assertClose(
        "y of one image",
        reference(x, 1, c, h, w, weight, bias, out, 3, 2, 2, 1, 1, 0),
        y1,
        1e-5,
        1e-6);
    conv.close();
    input.release();
    one.release();
  }

  @Test
  void initialisationBoundIsOneOverSqrtFanIn() {
    Conv2d conv = run(ops -> new Conv2d(ops, alloc, 16, 32, 5, new SplittableRandom(2)));
    float bound = (float) (1 / Math.sqrt(16 * 25));
    for (String name : List.of("weight", "bias")) {
      for (float v : download(conv.parameters().get(name).value())) {
        assertTrue(Math.abs(v) <= bound, name + " " + v);
      }
    }
    conv.close();
  }

  @Test
  void gradientsAccumulate() {
    SplittableRandom rnd = new SplittableRandom(3);
    Conv2d conv = run(ops -> new Conv2d(ops, alloc, 2, 3, 3, 1, 1, rnd));
    Tensor x = upload(uniform(rnd, 2 * 2 * 5 * 5, -1, 1), 2, 2, 5, 5);
    Tensor dy = upload(uniform(rnd, 2 * 3 * 5 * 5, -1, 1), 2, 3, 5, 5);
    Parameter w = conv.parameters().get("weight");
    Parameter b = conv.parameters().get("bias");
    float[][] once =
        run(
            ops -> {
              conv.zeroGrad(ops);
              conv.forward(ops, x, true);
              conv.backward(ops, dy);
              return new float[][] {w.grad().toHost(ops), b.grad().toHost(ops)};
            });
    float[][] twice =
        run(
            ops -> {
              conv.forward(ops, x, true);
              conv.backward(ops, dy);
              return new float[][] {w.grad().toHost(ops), b.grad().toHost(ops)};
            });
    for (int k = 0; k < 2; k++) {
      for (int i = 0; i < once[k].length; i++) {
        assertEquals(2 * once[k][i], twice[k][i], 1e-6 * Math.abs(2 * once[k][i]) + 1e-7);
      }
    }
    conv.close();
    x.release();
    dy.release();
  }

  @Test
  void wrongShapesNameTheLayer() {
    Conv2d conv = run(ops -> new Conv2d(ops, alloc, 3, 4, 5, new SplittableRandom(4)));
    Tensor wrongChannels = upload(new float[2 * 1 * 8 * 8], 2, 1, 8, 8);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> run(ops -> conv.forward(ops, wrongChannels, true)));
    assertTrue(
        e.getMessage().contains("Conv2d(3, 4")
            && e.getMessage().contains("[N, 3, H, W]")
            && e.getMessage().contains("[2, 1, 8, 8]"),
        e.getMessage());
    Tensor tooSmall = upload(new float[3 * 4 * 4], 1, 3, 4, 4);
    e =
        assertThrows(
            IllegalArgumentException.class, () -> run(ops -> conv.forward(ops, tooSmall, true)));
    assertTrue(
        e.getMessage().contains("Conv2d(3, 4") && e.getMessage().contains("[1, 3, 4, 4]"),
        e.getMessage());
    conv.close();
    wrongChannels.release();
    tooSmall.release();
  }
}
