package io.zbmd.serving;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A model the server serves: its name and version, its one input and one output, and how to make
 * its instances (one {@link Batcher} each). The batching settings come from {@code
 * zbmd.serving.batching}, or per model from {@link #withBatching}.
 *
 * <pre>{@code
 * ServedModel mnist = ServedModel.of("mnist",
 *     new TensorSpec("input", "FP32", new int[] {784}),
 *     new TensorSpec("logits", "FP32", new int[] {10}),
 *     () -> myPredictor);
 * }</pre>
 *
 * @param name the model name in URLs ({@code /v2/models/{name}})
 * @param version its version, {@code "1"} by default
 * @param platform what runs it, shown in metadata
 * @param input the input tensor
 * @param output the output tensor
 * @param instances makes one instance; called {@code instances} times when the server starts
 * @param batching batching settings; {@code null} takes {@code zbmd.serving.batching}
 */
public record ServedModel(
    String name,
    String version,
    String platform,
    TensorSpec input,
    TensorSpec output,
    Supplier<Predictor> instances,
    ServingSettings.Batching batching) {

  public ServedModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(instances, "instances");
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException(
          "model name [" + name + "] must be letters, digits, '_', '.' or '-'");
    }
  }

  /** Version 1 on zbmd's platform, batching from configuration. */
  public static ServedModel of(
      String name, TensorSpec input, TensorSpec output, Supplier<Predictor> instances) {
    return new ServedModel(name, "1", "zbmd", input, output, instances, null);
  }

  /** This model with its own batching settings. */
  public ServedModel withBatching(ServingSettings.Batching settings) {
    return new ServedModel(name, version, platform, input, output, instances, settings);
  }
}
