package io.zbmd.samples.cli;

import static io.zbmd.samples.cli.OptionChecks.device;
import static io.zbmd.samples.cli.OptionChecks.directory;
import static io.zbmd.samples.cli.OptionChecks.oneOf;
import static io.zbmd.samples.cli.OptionChecks.readableFile;

import io.zbmd.checkpoint.FileCheckpointStore;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.PtReader;
import io.zbmd.ml.io.SafeTensors;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code zbmd eval}'s options, checked before anything starts, and its weights file read: a bad
 * option or a file that is not a state dict is an {@link OptionException} naming it.
 */
final class EvalOptionsCheck {
  private EvalOptionsCheck() {}

  static void check(EvalCommand c) {
    oneOf("--model", c.model, "mlp", "cnn");
    readableFile("--weights", c.weights);
    directory("--data", c.data);
    if (c.backend != null) {
      device("--backend", c.backend);
    }
  }

  /** The state dict in {@code file}: a .safetensors file (or zbmd checkpoint), else a .pt file. */
  static Map<String, HostTensor> weights(Path file) {
    try {
      return file.getFileName().toString().endsWith(".safetensors")
          // A zbmd checkpoint file too: its weights, not its optimizer state.
          ? FileCheckpointStore.weightsOf(SafeTensors.readFile(file))
          : PtReader.read(file);
    } catch (Exception e) {
      throw new OptionException(
          "--weights " + file + ": not a .pt or .safetensors state dict ("
              + CliErrors.describe(e) + ")",
          e);
    }
  }

  /** The mlp's hidden size, from the rows of its {@code fc1.weight}. */
  static int mlpHidden(Path file, Map<String, HostTensor> state) {
    HostTensor fc1 = state.get("fc1.weight");
    if (fc1 == null || fc1.shape().length != 2) {
      throw new OptionException("--weights " + file + ": no 2-d fc1.weight for the mlp model");
    }
    return fc1.shape()[0];
  }
}
