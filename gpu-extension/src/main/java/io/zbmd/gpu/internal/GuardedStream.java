package io.zbmd.gpu.internal;

import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * The stream users get from {@code GpuExtension.stream}: fails fast once its device is lost, and
 * marks the device lost when a {@link DeviceLostException} comes out of the backend's stream. The
 * returned stage completes after the device's health is updated, so a caller that sees the failure
 * also sees {@code LOST}.
 */
public final class GuardedStream implements DeviceStream {
  private final DeviceEntry entry;

  GuardedStream(DeviceEntry entry) {
    this.entry = entry;
  }

  @Override
  public Device device() {
    return entry.device();
  }

  @Override
  public <T> CompletionStage<T> submit(Work<T> work) {
    DeviceLostException lost = entry.lostException("submit");
    if (lost != null) {
      return CompletableFuture.failedFuture(lost);
    }
    CompletionStage<T> submitted;
    try {
      submitted = entry.backend().stream(entry.id()).submit(work);
    } catch (Throwable t) {
      noteFailure(t);
      return CompletableFuture.failedFuture(t);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    submitted.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(value);
          } else {
            Throwable cause = unwrap(error);
            noteFailure(cause);
            result.completeExceptionally(cause);
          }
        });
    return result;
  }

  private void noteFailure(Throwable t) {
    if (DeviceEntry.isDeviceLost(t)) {
      entry.markLost(t);
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
