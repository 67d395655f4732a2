package io.zbmd.ml.training;

import io.zbmd.gpu.DeviceId;

/**
 * How a {@link TrainingSupervisor} trains: epochs, batch size, the loader's shuffle seed, whether
 * to evaluate on the test set after every epoch (it always does after the last), the evaluation
 * batch size, the device to start on ({@code null}: the extension's default device), and how many
 * consecutive transient kernel failures ({@link io.zbmd.gpu.KernelException}) of one step or
 * evaluation are retried before the run fails, and how often to checkpoint within an epoch (a
 * checkpoint is always taken at the end of every epoch).
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
 * @param maxConsecutiveRetries retries of one step (or evaluation) after a kernel failure, at
 *     least 0; one more consecutive failure escalates
 * @param checkpointEvery also checkpoint after every {@code checkpointEvery} steps; 0 (the
 *     default): only at the end of each epoch
 */
public record TrainingOptions(
    int epochs,
    int batchSize,
    long seed,
    boolean evaluateEveryEpoch,
    int evalBatchSize,
    DeviceId device,
    int maxConsecutiveRetries,
    int checkpointEvery) {
  /** Retries of one step after a kernel failure unless told otherwise. */
  public static final int DEFAULT_MAX_CONSECUTIVE_RETRIES = 3;

  public TrainingOptions {
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException(
          "checkpoint interval must be >= 0 steps (0: at epoch ends only), got " + checkpointEvery);
    }
    if (epochs < 1 || batchSize < 1 || evalBatchSize < 1 || maxConsecutiveRetries < 0) {
      throw new IllegalArgumentException(
          "epochs "
              + epochs
              + ", batch size "
              + batchSize
              + ", eval batch size "
              + evalBatchSize
              + ", max consecutive retries "
              + maxConsecutiveRetries);
    }
  }

  /** Options without a retry setting: {@link #DEFAULT_MAX_CONSECUTIVE_RETRIES}. */
  public TrainingOptions(
      int epochs,
      int batchSize,
      long seed,
      boolean evaluateEveryEpoch,
      int evalBatchSize,
      DeviceId device) {
    this(
        epochs,
        batchSize,
        seed,
        evaluateEveryEpoch,
        evalBatchSize,
        device,
        DEFAULT_MAX_CONSECUTIVE_RETRIES,
        0);
  }

  /**
   * Evaluation after the last epoch only, in batches of 500, on the default device, {@value
   * #DEFAULT_MAX_CONSECUTIVE_RETRIES} retries of a step after a kernel failure.
   */
  public static TrainingOptions of(int epochs, int batchSize, long seed) {
    return new TrainingOptions(epochs, batchSize, seed, false, 500, null);
  }

  /** At most {@code retries} consecutive retries of one step after kernel failures; 0: none. */
  public TrainingOptions withMaxConsecutiveRetries(int retries) {
    return new TrainingOptions(
        epochs, batchSize, seed, evaluateEveryEpoch, evalBatchSize, device, retries, checkpointEvery);
  }

  public TrainingOptions withEvaluateEveryEpoch(boolean evaluate) {
    return new TrainingOptions(
        epochs, batchSize, seed, evaluate, evalBatchSize, device, maxConsecutiveRetries,
        checkpointEvery);
  }

  public TrainingOptions withEvalBatchSize(int size) {
    return new TrainingOptions(
        epochs, batchSize, seed, evaluateEveryEpoch, size, device, maxConsecutiveRetries,
        checkpointEvery);
  }

  public TrainingOptions withDevice(DeviceId device) {
    return new TrainingOptions(
        epochs, batchSize, seed, evaluateEveryEpoch, evalBatchSize, device, maxConsecutiveRetries,
        checkpointEvery);
  }

  /** Also checkpoint every {@code steps} optimizer steps; 0: only at the end of each epoch. */
  public TrainingOptions withCheckpointEvery(int steps) {
    return new TrainingOptions(
        epochs, batchSize, seed, evaluateEveryEpoch, evalBatchSize, device, maxConsecutiveRetries,
        steps);
  }
}
