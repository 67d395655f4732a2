package io.zbmd.ml.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The committed fixtures of {@code src/test/resources/onnx} and {@code fixtures/pytorch/mlp}. */
final class OnnxFixtures {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OnnxFixtures() {}

  static Path path(String resource) {
    try {
      return Path.of(OnnxFixtures.class.getResource("/" + resource).toURI());
    } catch (Exception e) {
      throw new IllegalStateException("fixture " + resource + " missing from the test class path", e);
    }
  }

  /** The recorded inputs and PyTorch's logits for {@code model} ("mlp" for the shared fixture). */
  record Io(float[] inputs, int n, double[][] logits) {}

  static Io io(String model) {
    try {
      boolean shared = model.equals("mlp");
      JsonNode io = JSON.readTree(path(shared ? "fixtures/pytorch/mlp/mlp-io.json" : "onnx/io.json").toFile());
      float[][] in = JSON.convertValue(io.get("inputs"), float[][].class);
      double[][] logits = JSON.convertValue(io.get(shared ? "logits" : model), double[][].class);
      float[] flat = new float[in.length * 784];
      for (int i = 0; i < in.length; i++) {
        System.arraycopy(in[i], 0, flat, i * 784, 784);
      }
      return new Io(flat, in.length, logits);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
