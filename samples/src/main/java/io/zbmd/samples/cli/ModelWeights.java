package io.zbmd.samples.cli;

import io.zbmd.checkpoint.FileCheckpointStore;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.PtReader;
import io.zbmd.ml.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Weights files and the built-in architectures they fit, shared by {@code eval} and {@code serve}. */
final class ModelWeights {
  private ModelWeights() {}

  /** A {@code .pt} or {@code .safetensors} state dict, or a zbmd checkpoint file's weights. */
  static Map<String, HostTensor> read(Path weights) throws IOException {
    return weights.getFileName().toString().endsWith(".safetensors")
        // A zbmd checkpoint file too: its weights, not its optimizer state.
        ? FileCheckpointStore.weightsOf(SafeTensors.readFile(weights))
        : PtReader.read(weights);
  }

  /** The {@code mlp} (hidden size read from fc1.weight) or {@code cnn} network for {@code state}. */
  static ModelSpec.ModelFactory network(String model, Map<String, HostTensor> state, Path weights) {
    int hidden = 0;
    if (model.equals("mlp")) {
      HostTensor fc1 = state.get("fc1.weight");
      if (fc1 == null || fc1.shape().length != 2) {
        throw new OptionException(weights + ": no 2-d fc1.weight for the mlp model");
      }
      hidden = fc1.shape()[0];
    }
    return TrainCommand.network(model, hidden, 0);
  }
}
