package io.zbmd.ml.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.cpu.CpuBackendProvider;
import io.zbmd.gpu.vulkan.VulkanBackendProvider;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.testkit.Requirements;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Done-when 1 of the ONNX import: files exported by {@code torch.onnx.export} (the shared 784-128-10
 * MLP, a 784-300-100-10 MLP with Tanh, a CNN with batch norm, a residual add, average, max and
 * global average pooling, a grouped strided conv and a dynamic-batch reshape through
 * Shape/Gather/Unsqueeze/Concat, at opset 13 and at opset 17 with external data) give the logits
 * PyTorch recorded (and a net of MatMul, Sub, Div, Softmax, LogSoftmax, Concat, Transpose, Flatten),
 * within 1e-4, on the CPU backend and on Vulkan (lavapipe here).
 */
class OnnxImportTest {
  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({
    "fixtures/pytorch/mlp/mlp.onnx, cpu, mlp",
    "onnx/mlp-tanh.onnx, cpu, mlp-tanh",
    "onnx/rescnn.onnx, cpu, rescnn",
    "onnx/ops.onnx, cpu, ops",
    "onnx/ops.onnx, vulkan, ops",
    "onnx/rescnn-opset17-external.onnx, cpu, rescnn",
    "fixtures/pytorch/mlp/mlp.onnx, vulkan, mlp",
    "onnx/mlp-tanh.onnx, vulkan, mlp-tanh",
    "onnx/rescnn.onnx, vulkan, rescnn",
    "onnx/rescnn-opset17-external.onnx, vulkan, rescnn"
  })
  void reproducesPyTorchsLogits(String file, String backendName, String model) throws Exception {
    OnnxModel onnx = OnnxModel.read(OnnxFixtures.path(file));
    OnnxFixtures.Io io = OnnxFixtures.io(model);
    try (Backend backend = backend(backendName)) {
      DeviceId device = backend.devices().get(0).id();
      DeviceStream stream = backend.stream(device);
      Allocator alloc = Allocator.of(backend, device, "OnnxImportTest");
      OnnxGraph graph = stream.submit(ops -> onnx.build(ops, alloc)).toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
      // The batch is dynamic: the 16 (or 8) recorded samples in one pass, then the first alone.
      for (int n : List.of(io.n(), 1)) {
        float[] in = java.util.Arrays.copyOf(io.inputs(), n * 784);
        float[] logits = stream.submit(ops -> {
          Tensor x = Tensor.of(ops, alloc, "x", in, n, 784);
          float[] out = graph.forward(ops, x, false).toHost(ops);
          x.release();
          return out;
        }).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(n * 10, logits.length);
        double worst = 0;
        for (int i = 0; i < n; i++) {
          for (int k = 0; k < 10; k++) {
            worst = Math.max(worst, Math.abs(logits[i * 10 + k] - io.logits()[i][k]));
          }
        }
        assertTrue(worst <= 1e-4, file + " batch " + n + ": largest logit difference " + worst);
      }
      graph.close();
    }
  }

  static Backend backend(String name) {
    if (name.equals("cpu")) {
      return new CpuBackendProvider().create(ConfigFactory.empty());
    }
    Requirements.vulkan().check();
    return new VulkanBackendProvider().create(ConfigFactory.parseString(
        "allow-cpu-devices = on\nshader-cache-dir = \"target/vulkan-shader-cache\""));
  }
}
