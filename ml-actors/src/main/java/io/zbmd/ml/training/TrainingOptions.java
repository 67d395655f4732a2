package io.zbmd.ml.training;

import io.zbmd.gpu.DeviceId;

/**
 * How a {@link TrainingSupervisor} trains: epochs, batch size, the loader's shuffle seed, whether
 * to evaluate on the test set after every epoch (it always does after the last), the evaluation
 * batch size, and the device to start on ({@code null}: the extension's default device).
 *
 * <pre>{@code
 * TrainingOptions opts = TrainingOptions.of(10, 64, 42).withEvaluateEveryEpoch(true);
 * }</pre>
 *
 * @param epochs epochs to train, at least 1
 * @param batchSize samples per optimizer step, at least 1
 * @param seed seed of the loader's per-epoch shuffle
 * @param evaluateEveryEpoch evaluate after every epoch, not only after the last
 * @param evalBatchSize samples per evaluation pass, at least 1
 * @param device where the model starts; {@code null} for {@code GpuExtension.defaultDevice()}
 */
public record TrainingOptions(
    int epochs,
    int batchSize,
    long seed,
    boolean evaluateEveryEpoch,
    int evalBatchSize,
    DeviceId device) {
  public TrainingOptions {
    if (epochs < 1 || batchSize < 1 || evalBatchSize < 1) {
      throw new IllegalArgumentException(
          "epochs " + epochs + ", batch size " + batchSize + ", eval batch size " + evalBatchSize);
    }
  }

  /** Evaluation after the last epoch only, in batches of 500, on the default device. */
  public static TrainingOptions of(int epochs, int batchSize, long seed) {
    return new TrainingOptions(epochs, batchSize, seed, false, 500, null);
  }

  public TrainingOptions withEvaluateEveryEpoch(boolean evaluate) {
    return new TrainingOptions(epochs, batchSize, seed, evaluate, evalBatchSize, device);
  }

  public TrainingOptions withEvalBatchSize(int size) {
    return new TrainingOptions(epochs, batchSize, seed, evaluateEveryEpoch, size, device);
  }

  public TrainingOptions withDevice(DeviceId device) {
    return new TrainingOptions(epochs, batchSize, seed, evaluateEveryEpoch, evalBatchSize, device);
  }
}
