package io.zbmd.ml.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.SafeTensors;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.optim.SGD;
import io.zbmd.ml.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fine-tuning imported graphs on the CPU backend: the backward pass of every differentiable
 * operator of the fixtures agrees with finite differences, an imported CNN's loss falls under SGD,
 * its weights export as a safetensors file with PyTorch's state-dict names, and intermediates are
 * released (after their last consumer in evaluation, all of them on close).
 */
class OnnxTrainingTest extends MlTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A directional derivative: for the loss {@code sum(out * R)}, the analytic gradient along a
   * random direction of all parameters and the input against a central difference.
   */
  @ParameterizedTest
  @ValueSource(strings = {"rescnn", "ops", "mlp-tanh"})
  void gradientsAgreeWithFiniteDifferences(String model) throws Exception {
    OnnxModel onnx = OnnxModel.read(OnnxFixtures.path("onnx/" + model + ".onnx"));
    OnnxGraph g = run(ops -> onnx.build(ops, alloc));
    int n = 2;
    float[] x = Arrays.copyOf(OnnxFixtures.io(model).inputs(), n * 784);
    SplittableRandom rnd = new SplittableRandom(3);
    float[] weights = uniform(rnd, n * 10, -1, 1);
    Map<String, float[]> p0 = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> e : g.parameters().entrySet()) {
      p0.put(e.getKey(), download(e.getValue().value()));
    }
    Map<String, float[]> dir = new LinkedHashMap<>();
    p0.forEach((k, v) -> dir.put(k, uniform(rnd, v.length, -1, 1)));
    float[] dx = uniform(rnd, x.length, -1, 1);

    Map<String, float[]> grads = new LinkedHashMap<>();
    float[] inputGrad = run(ops -> {
      g.zeroGrad(ops);
      Tensor xt = Tensor.of(ops, alloc, "x", x, n, 784);
      g.forward(ops, xt, true);
      xt.release();
      Tensor r = Tensor.of(ops, alloc, "R", weights, n, 10);
      float[] gx = g.backward(ops, r, true).toHost(ops);
      r.release();
      g.parameters().forEach((k, p) -> grads.put(k, p.grad().toHost(ops)));
      return gx;
    });
    double analytic = dot(inputGrad, dx);
    for (String k : p0.keySet()) {
      analytic += dot(grads.get(k), dir.get(k));
    }
    double eps = 1e-3;
    double numeric = (loss(g, x, n, weights, p0, dir, dx, eps)
        - loss(g, x, n, weights, p0, dir, dx, -eps)) / (2 * eps);
    g.close();
    assertTrue(Math.abs(analytic - numeric) <= 2e-2 * Math.abs(numeric) + 1e-3,
        model + ": analytic " + analytic + " vs numeric " + numeric);
  }

  private double loss(OnnxGraph g, float[] x, int n, float[] weights, Map<String, float[]> p0,
      Map<String, float[]> dir, float[] dx, double eps) {
    float[] out = run(ops -> {
      for (Map.Entry<String, Parameter> e : g.parameters().entrySet()) {
        e.getValue().value().fromHost(ops, shifted(p0.get(e.getKey()), dir.get(e.getKey()), eps));
      }
      Tensor xt = Tensor.of(ops, alloc, "x", shifted(x, dx, eps), n, 784);
      float[] o = g.forward(ops, xt, false).toHost(ops);
      xt.release();
      return o;
    });
    return dot(out, weights);
  }

  private static float[] shifted(float[] v, float[] d, double eps) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] + eps * d[i]);
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  @Test
  void fineTuningLowersTheLossAndExportsPyTorchNamedSafetensors(@TempDir Path dir) throws Exception {
    OnnxModel onnx = OnnxModel.read(OnnxFixtures.path("onnx/rescnn.onnx"));
    JsonNode io = JSON.readTree(OnnxFixtures.path("onnx/io.json").toFile());
    int[] labels = JSON.convertValue(io.get("labels"), int[].class);
    int n = labels.length;
    float[] x = OnnxFixtures.io("rescnn").inputs();
    List<String> before0 = alloc.live();
    OnnxGraph g = run(ops -> onnx.build(ops, alloc));
    SGD sgd = new SGD(alloc, g.parameters(), SGD.Options.of(0.1).withMomentum(0.9));
    CrossEntropyLoss criterion = new CrossEntropyLoss(alloc);
    Tensor xt = upload(x, n, 784);
    Tensor yt = uploadInts(labels, n);
    List<Float> losses = new ArrayList<>();
    for (int step = 0; step < 25; step++) {
      losses.add(run(ops -> {
        g.zeroGrad(ops);
        Tensor loss = criterion.forward(ops, g.forward(ops, xt, true), yt);
        g.backward(ops, criterion.backward(ops, 1f), false);
        sgd.step(ops);
        return loss.toHost(ops);
      })[0]);
    }
    assertTrue(losses.get(24) < 0.85 * losses.get(0), "losses " + losses);

    Map<String, Tensor> state = g.stateDict();
    Map<String, float[]> values = run(ops -> {
      Map<String, float[]> m = new LinkedHashMap<>();
      state.forEach((k, t) -> m.put(k, t.toHost(ops)));
      return m;
    });
    Map<String, HostTensor> export = new LinkedHashMap<>();
    state.forEach((k, t) -> export.put(k, HostTensor.ofFloats(t.shape(), values.get(k))));
    Path file = dir.resolve("rescnn-finetuned.safetensors");
    SafeTensors.write(file, export);

    // What PyTorch's load_state_dict(strict=True) would check: every name and shape it has (but
    // the integer num_batches_tracked counters, which ONNX does not carry).
    Map<String, HostTensor> back = SafeTensors.read(file);
    Map<String, int[]> torch = new LinkedHashMap<>();
    io.get("rescnn_state_dict").fields().forEachRemaining(e -> {
      if (!e.getKey().endsWith("num_batches_tracked")) {
        torch.put(e.getKey(), JSON.convertValue(e.getValue(), int[].class));
      }
    });
    assertEquals(new TreeSet<>(torch.keySet()), new TreeSet<>(back.keySet()));
    torch.forEach((k, shape) -> assertArrayEquals(shape, back.get(k).shape(), k));
    assertArrayEquals(values.get("fc.weight"), back.get("fc.weight").toFloats());
    float[] before = onnx.initializers().get("conv1.weight").toFloats();
    assertTrue(!Arrays.equals(before, back.get("conv1.weight").toFloats()), "conv1 was not tuned");
    assertArrayEquals(onnx.initializers().get("bn1.running_mean").toFloats(),
        back.get("bn1.running_mean").toFloats(), "running statistics are buffers, not learned");

    xt.release();
    yt.release();
    sgd.close();
    criterion.close();
    g.close();
    assertEquals(before0, alloc.live());
  }

  @Test
  void evaluationFreesEachIntermediateAfterItsLastConsumer() throws Exception {
    OnnxModel onnx = OnnxModel.read(OnnxFixtures.path("onnx/rescnn.onnx"));
    List<String> before = alloc.live();
    OnnxGraph g = run(ops -> onnx.build(ops, alloc));
    int resident = alloc.live().size(); // parameters, their gradients, buffers
    Tensor xt = upload(OnnxFixtures.io("rescnn").inputs(), 8, 784);
    run(ops -> g.forward(ops, xt, false));
    // The input and the output stay; nothing between them does, though the graph fans out.
    assertEquals(resident + 2, alloc.live().size(), String.join("\n", alloc.live()));
    run(ops -> g.forward(ops, xt, true));
    assertTrue(alloc.live().size() > resident + 10, "a training pass keeps what backward reads");
    xt.release();
    g.close();
    assertEquals(before, alloc.live());
  }
}
