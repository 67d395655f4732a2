package io.zbmd.gpu;

import java.util.concurrent.CompletionStage;

/**
 * The one ordered work stream of a device. {@link #submit} returns at once; the backend completes
 * the stage from its own callback (CPU worker, CUDA host function, Vulkan fence) once everything
 * the work enqueued has run, with the value the work returned. Actors use {@code pipeToSelf}, so a
 * dispatcher thread never waits on a device.
 *
 * <pre>{@code
 * ctx.pipeToSelf(stream.submit(ops -> {
 *   ops.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
 *   return null;
 * }), (ok, err) -> err == null ? Done.INSTANCE : new Failed(err));
 * }</pre>
 */
public interface DeviceStream {
  /** A unit of device work: calls on {@link Ops}, in order. */
  @FunctionalInterface
  interface Work<T> {
    T run(Ops ops) throws Exception;
  }

  /** The device this stream feeds. */
  Device device();

  /**
   * Enqueues {@code work}. The stage fails with the work's exception ({@link DeviceException}
   * subtypes for device failures, {@link IllegalArgumentException} for bad arguments).
   */
  <T> CompletionStage<T> submit(Work<T> work);
}
