package io.zbmd.testkit.faults;

import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The stream of a fault-injecting device. Submitting to a lost device fails at once without running
 * the work; work that was queued before the loss fails when it starts. An injected fault fails the
 * whole submission with the injected exception even if the work caught it, as a sticky CUDA error
 * would, so that supervisors always see the typed failure.
 */
final class FaultyStream implements DeviceStream {
  private final FaultyDevice device;
  private final DeviceStream delegate;

  FaultyStream(FaultyDevice device, DeviceStream delegate) {
    this.device = device;
    this.delegate = delegate;
  }

  @Override
  public Device device() {
    return device.device();
  }

  @Override
  public <T> CompletionStage<T> submit(Work<T> work) {
    try {
      device.failIfLost("submit");
    } catch (DeviceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return delegate.submit(
        ops -> {
          device.failIfLost("queued work");
          AtomicReference<DeviceException> fault = new AtomicReference<>();
          T result;
          try {
            result = work.run(FaultyOps.create(device, ops, fault));
          } catch (Exception e) {
            DeviceException injected = fault.get();
            if (injected != null && injected != e) {
              injected.addSuppressed(e);
              throw injected;
            }
            throw e;
          }
          if (fault.get() != null) {
            throw fault.get();
          }
          return result;
        });
  }

  @Override
  public String toString() {
    return "FaultyStream(" + device.id() + " over " + delegate + ")";
  }
}
