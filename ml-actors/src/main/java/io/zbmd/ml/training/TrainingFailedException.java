package io.zbmd.ml.training;

import io.zbmd.gpu.DeviceId;

/**
 * A training run met a failure that no policy of the {@link TrainingSupervisor} covers; the
 * supervisor throws it, so that its parent sees the run fail (as {@code ChildFailed}), as an OTP
 * supervisor escalates.
 */
public final class TrainingFailedException extends RuntimeException {
  public TrainingFailedException(String path, long step, DeviceId device, Throwable cause) {
    super(
        path
            + ": training failed after step "
            + step
            + " on "
            + device
            + ": "
            + (cause == null ? "unknown cause" : cause.toString()),
        cause);
  }
}
