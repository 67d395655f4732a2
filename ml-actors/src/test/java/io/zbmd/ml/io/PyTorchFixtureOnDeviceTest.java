package io.zbmd.ml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PyTorch-trained MLP through zbmd's own layers on the CPU backend: weights loaded by
 * parameter name from {@code .pt} and {@code .safetensors}, a forward pass over the 16 recorded
 * inputs, logits within 1e-5 of PyTorch's and the same argmax.
 */
class PyTorchFixtureOnDeviceTest extends MlTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"mlp.pt", "mlp.safetensors"})
  void ourForwardPassReproducesPyTorchsLogits(String file) throws IOException {
    Path path = TorchFiles.fixture(file);
    Map<String, HostTensor> weights =
        file.endsWith(".pt") ? PtReader.read(path) : SafeTensors.read(path);
    JsonNode io = JSON.readTree(TorchFiles.fixture("mlp-io.json").toFile());
    float[][] inputs = JSON.convertValue(io.get("inputs"), float[][].class);
    double[][] expected = JSON.convertValue(io.get("logits"), double[][].class);
    int[] argmax = JSON.convertValue(io.get("argmax"), int[].class);
    int n = inputs.length;
    float[] batch = new float[n * 784];
    for (int i = 0; i < n; i++) {
      System.arraycopy(inputs[i], 0, batch, i * 784, 784);
    }

    SplittableRandom rng = new SplittableRandom(1);
    Sequential mlp = run(ops -> Sequential.builder()
        .add("fc1", new Linear(ops, alloc, 784, 128, rng))
        .add("relu", new ReLU(alloc))
        .add("fc2", new Linear(ops, alloc, 128, 10, rng))
        .build());
    float[] logits = run(ops -> {
      for (Map.Entry<String, Parameter> p : mlp.parameters().entrySet()) {
        HostTensor w = weights.get(p.getKey());
        assertArrayEquals(p.getValue().shape(), w.shape(), p.getKey());
        p.getValue().value().fromHost(ops, w.toFloats());
      }
      Tensor x = Tensor.of(ops, alloc, "inputs", batch, n, 784);
      float[] out = mlp.forward(ops, x, false).toHost(ops);
      x.release();
      return out;
    });
    mlp.close();

    double worst = 0;
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int k = 0; k < 10; k++) {
        double d = Math.abs(logits[i * 10 + k] - expected[i][k]);
        worst = Math.max(worst, d);
        if (logits[i * 10 + k] > logits[i * 10 + best]) {
          best = k;
        }
      }
      assertEquals(argmax[i], best, "argmax of sample " + i);
    }
    assertTrue(worst <= 1e-5, file + ": largest logit difference " + worst);
  }
}
