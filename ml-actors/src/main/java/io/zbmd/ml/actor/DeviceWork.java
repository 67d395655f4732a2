package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** What the device actors here share to submit works: submission failures as failed stages. */
final class DeviceWork {
  private DeviceWork() {}

  /** {@code stream.submit(work)}, with a submission that throws as a failed stage. */
  static <T> CompletionStage<T> submit(DeviceStream stream, DeviceStream.Work<T> work) {
    try {
      return stream.submit(work);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The work's own exception, out of the completion wrappers. */
  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
