package io.zbmd.gpu.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend gives the same bits for the same inputs: run twice, and run with one thread or
 * four, splitting every loop or none. Training's "same seed, same weights" rests on this. The
 * shapes are above the default parallel threshold, so the default settings split too.
 */
class CpuDeterminismTest {
  private static final DeviceId CPU0 = new DeviceId("cpu", 0);

  @Test
  void sameInputsGiveTheSameBitsForAnyThreadCountAndSplit() throws Exception {
    Map<String, int[]> serial = runPipeline("threads = 1, parallel-threshold = 1000000000");
    for (String settings : List.of(
        "threads = 1, parallel-threshold = 1000000000", // the same again
        "threads = 4, parallel-threshold = 1", // every loop split as finely as it goes
        "threads = 3, parallel-threshold = 1000",
        "threads = 2")) { // the default threshold
      Map<String, int[]> other = runPipeline(settings);
      assertEquals(serial.keySet(), other.keySet());
      for (String output : serial.keySet()) {
        assertArrayEquals(serial.get(output), other.get(output), output + " differs with " + settings);
      }
    }
  }

  /** A training step's worth of ops; returns every output as raw float bits (or ints). */
  private static Map<String, int[]> runPipeline(String settings) throws Exception {
    try (Backend backend = new CpuBackendProvider().create(ConfigFactory.parseString(settings))) {
      Random rnd = new Random(7);
      int batch = 256;
      int in = 300;
      int out = 128;
      // Buffers are freed with the backend.
      Alloc f = n -> backend.allocate(CPU0, DType.FLOAT32, n, "determinism");
      float[] xs = random(rnd, batch * in);
      float[] ws = random(rnd, out * in);
      float[] bs = random(rnd, out);
      float[] scales = random(rnd, batch);
      int[] labelValues = new int[batch];
      for (int i = 0; i < batch; i++) {
        labelValues[i] = rnd.nextInt(out);
      }
      ConvGeometry conv = new ConvGeometry(6, 24, 20, 3, 3, 1, 1, 1, 1);
      PoolGeometry pool = new PoolGeometry(16, 24, 24, 3, 2);
      float[] images = random(rnd, (int) conv.imageSize());
      float[] planes = random(rnd, (int) pool.inputSize());

      DeviceBuffer x = f.of(batch * in);
      DeviceBuffer w = f.of(out * in);
      DeviceBuffer bias = f.of(out);
      DeviceBuffer scale = f.of(batch);
      DeviceBuffer y = f.of(batch * out);
      DeviceBuffer h = f.of(batch * out);
      DeviceBuffer colSum = f.of(out);
      DeviceBuffer rowMean = f.of(batch);
      DeviceBuffer rowMax = f.of(batch);
      DeviceBuffer probs = f.of(batch * out);
      DeviceBuffer losses = f.of(batch);
      DeviceBuffer dlogits = f.of(batch * out);
      DeviceBuffer dx = f.of(batch * in);
      DeviceBuffer dw = f.of(out * in);
      DeviceBuffer dbias = f.of(out);
      DeviceBuffer velocity = f.of(out * in);
      DeviceBuffer m = f.of(out);
      DeviceBuffer v = f.of(out);
      DeviceBuffer image = f.of(conv.imageSize());
      DeviceBuffer cols = f.of(conv.columnsSize());
      DeviceBuffer back = f.of(conv.imageSize());
      DeviceBuffer px = f.of(pool.inputSize());
      DeviceBuffer py = f.of(pool.outputSize());
      DeviceBuffer pdx = f.of(pool.inputSize());
      DeviceBuffer labels = backend.allocate(CPU0, DType.INT32, batch, "determinism");
      DeviceBuffer argmax = backend.allocate(CPU0, DType.INT32, batch, "determinism");
      DeviceBuffer poolIdx = backend.allocate(CPU0, DType.INT32, pool.outputSize(), "determinism");

      Map<String, int[]> result = new LinkedHashMap<>();
      backend.stream(CPU0).submit((Ops ops) -> {
        ops.copyFromHost(xs, 0, x, 0, xs.length);
        ops.copyFromHost(ws, 0, w, 0, ws.length);
        ops.copyFromHost(bs, 0, bias, 0, bs.length);
        ops.copyFromHost(scales, 0, scale, 0, scales.length);
        ops.copyFromHost(labelValues, 0, labels, 0, batch);
        ops.copyFromHost(images, 0, image, 0, images.length);
        ops.copyFromHost(planes, 0, px, 0, planes.length);

        ops.linearForward(x, w, bias, y, batch, in, out);
        ops.unary(UnaryOp.TANH, y, h, (long) batch * out);
        ops.binary(BinaryOp.MUL, h, scale, h, batch, out, Broadcast.COLUMN);
        ops.affine(h, h, (long) batch * out, 0.5f, -0.25f);
        ops.unary(UnaryOp.SIGMOID, h, h, (long) batch * out);
        ops.reduce(ReduceOp.SUM, h, colSum, batch, out, 0);
        ops.reduce(ReduceOp.MEAN, h, rowMean, batch, out, 1);
        ops.reduce(ReduceOp.MAX, y, rowMax, batch, out, 1);
        ops.argmax(y, argmax, batch, out);
        ops.softmaxCrossEntropyForward(y, labels, probs, losses, batch, out);
        ops.softmaxCrossEntropyBackward(probs, labels, dlogits, batch, out, 1f / batch);
        ops.linearBackward(x, w, dlogits, dx, dw, dbias, batch, in, out);
        for (int step = 1; step <= 2; step++) {
          ops.sgdUpdate(w, dw, velocity, (long) out * in, 0.1f, 0.9f, 1e-4f);
          ops.adamUpdate(bias, dbias, m, v, out, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, step);
        }
        ops.im2col(image, 0, conv, cols, 0);
        ops.unary(UnaryOp.EXP, cols, cols, conv.columnsSize());
        ops.col2im(cols, 0, conv, back, 0);
        ops.maxPoolForward(px, py, poolIdx, pool);
        ops.maxPoolBackward(py, poolIdx, pdx, pool);

        for (var e : Map.of("y", y, "h", h, "colSum", colSum, "rowMean", rowMean, "rowMax", rowMax,
            "probs", probs, "losses", losses, "dx", dx, "w", w, "bias", bias).entrySet()) {
          result.put(e.getKey(), bits(ops, e.getValue()));
        }
        for (var e : Map.of("velocity", velocity, "m", m, "v", v, "cols", cols, "back", back,
            "py", py, "pdx", pdx, "dlogits", dlogits).entrySet()) {
          result.put(e.getKey(), bits(ops, e.getValue()));
        }
        for (var e : Map.of("argmax", argmax, "poolIdx", poolIdx).entrySet()) {
          int[] ints = new int[(int) e.getValue().elements()];
          ops.copyToHost(e.getValue(), 0, ints, 0, ints.length);
          result.put(e.getKey(), ints);
        }
        return null;
      }).toCompletableFuture().get(30, TimeUnit.SECONDS);
      return result;
    }
  }

  private interface Alloc {
    DeviceBuffer of(long n);
  }

  private static int[] bits(Ops ops, DeviceBuffer b) {
    float[] values = new float[(int) b.elements()];
    ops.copyToHost(b, 0, values, 0, values.length);
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  private static float[] random(Random rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    return x;
  }
}
