package io.zbmd.ml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PyTorch-trained 784-128-10 MLP of {@code fixtures/pytorch/mlp}: both of its files load with
 * the same names, shapes and bits, and a forward pass over the loaded weights reproduces the logits
 * PyTorch computed for 16 test digits.
 */
class PyTorchFixtureTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Map<String, HostTensor> load(String file) throws IOException {
    Path p = TorchFiles.fixture(file);
    return file.endsWith(".pt") ? PtReader.read(p) : SafeTensors.read(p);
  }

  @Test
  void ptAndSafetensorsHoldTheSameParametersAsMetaJson() throws IOException {
    JsonNode layers = JSON.readTree(TorchFiles.fixture("meta.json").toFile()).get("layers");
    Map<String, HostTensor> pt = load("mlp.pt");
    Map<String, HostTensor> st = load("mlp.safetensors");

    List<String> names = new ArrayList<>();
    layers.fieldNames().forEachRemaining(names::add);
    assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), names);
    assertEquals(names, List.copyOf(pt.keySet()), "PyTorch's parameter order");
    assertEquals(names, List.copyOf(st.keySet()));
    for (String name : names) {
      int[] shape = JSON.convertValue(layers.get(name).get("shape"), int[].class);
      assertArrayEquals(shape, pt.get(name).shape(), name);
      assertEquals(HostDType.F32, pt.get(name).dtype(), name);
      assertEquals(pt.get(name), st.get(name), name + ": same dtype, shape and bits");
    }
    assertArrayEquals(new int[] {128, 784}, pt.get("fc1.weight").shape());
    assertArrayEquals(new int[] {10, 128}, pt.get("fc2.weight").shape());
    assertEquals(
        Map.of("format", "pt"),
        SafeTensors.readFile(TorchFiles.fixture("mlp.safetensors")).metadata());
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp.pt", "mlp.safetensors"})
  void forwardPassMatchesPyTorchLogits(String file) throws IOException {
    Map<String, HostTensor> w = load(file);
    JsonNode io = JSON.readTree(TorchFiles.fixture("mlp-io.json").toFile());
    double tolerance = io.get("tolerance").asDouble();
    assertEquals(1e-5, tolerance);

    float[][] inputs = JSON.convertValue(io.get("inputs"), float[][].class);
    double[][] expected = JSON.convertValue(io.get("logits"), double[][].class);
    int[] argmax = JSON.convertValue(io.get("argmax"), int[].class);
    assertEquals(16, inputs.length);

    double worst = 0;
    for (int n = 0; n < inputs.length; n++) {
      double[] logits = forward(w, inputs[n]);
      for (int k = 0; k < 10; k++) {
        worst = Math.max(worst, Math.abs(logits[k] - expected[n][k]));
        assertEquals(expected[n][k], logits[k], tolerance, "sample " + n + " logit " + k);
      }
      assertEquals(argmax[n], argmax(logits), "sample " + n);
    }
    assertTrue(worst < tolerance, "largest difference " + worst);
  }

  @Test
  void exportedSafetensorsReadBackBitForBitAndMatchPythonsLayout(@TempDir Path dir)
      throws IOException {
    Map<String, HostTensor> state = load("mlp.pt");
    Path out = dir.resolve("export.safetensors");
    SafeTensors.write(out, state, Map.of("format", "pt"));

    Map<String, HostTensor> back = SafeTensors.read(out);
    assertEquals(state, back);

    // The header Python's safetensors writes for these tensors: metadata first, then (all F32)
    // sorted by name, offsets in that order, padded with spaces to a multiple of 8.
    byte[] bytes = Files.readAllBytes(out);
    int headerLength =
        (int)
            java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8);
    String expected =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[128],\"data_offsets\":[0,512]},"
            + "\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[128,784],\"data_offsets\":[512,401920]},"
            + "\"fc2.bias\":{\"dtype\":\"F32\",\"shape\":[10],\"data_offsets\":[401920,401960]},"
            + "\"fc2.weight\":{\"dtype\":\"F32\",\"shape\":[10,128],\"data_offsets\":[401960,407080]}}";
    assertEquals(expected, header.stripTrailing());
    assertEquals(0, headerLength % 8);
    assertEquals(8 + headerLength + 407080, bytes.length);
  }

  /** logits = fc2(relu(fc1(x))), with nn.Linear's y = x Wᵀ + b, accumulated in float64. */
  private static double[] forward(Map<String, HostTensor> w, float[] x) {
    double[] hidden = linear(w.get("fc1.weight"), w.get("fc1.bias"), toDouble(x));
    for (int i = 0; i < hidden.length; i++) {
      hidden[i] = Math.max(0, hidden[i]);
    }
    return linear(w.get("fc2.weight"), w.get("fc2.bias"), hidden);
  }

  private static double[] linear(HostTensor weight, HostTensor bias, double[] x) {
    int out = weight.shape()[0];
    int in = weight.shape()[1];
    assertEquals(in, x.length);
    float[] wv = weight.toFloats();
    float[] bv = bias.toFloats();
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = bv[o];
      for (int i = 0; i < in; i++) {
        s += (double) wv[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  private static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  private static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
