package io.zbmd.testkit.faults;

import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;

/**
 * A delegate's buffer under the fault-injecting device's id, so that {@link #device()} is the
 * device the user allocated on ({@code faulty:0}, not {@code cpu:0}). It holds the delegate
 * buffer's one reference and releases it when its own count reaches zero.
 */
class FaultyBuffer extends DeviceBuffer {
  private final DeviceBuffer inner;

  FaultyBuffer(DeviceId device, DeviceBuffer inner) {
    super(device, inner.dtype(), inner.elements(), inner.owner());
    this.inner = inner;
  }

  /** The delegate's buffer, for handing to the delegate's ops. */
  DeviceBuffer inner() {
    checkLive();
    return inner;
  }

  @Override
  protected DeviceBuffer newSlice(long offset, long count, String owner) {
    // Ours holds the reference slice() took; the delegate's slice holds one on the delegate's.
    DeviceBuffer innerSlice = inner.slice(offset, count, owner);
    return new FaultyBuffer(device(), innerSlice) {
      @Override
      protected void freeStorage() {
        super.freeStorage();
        FaultyBuffer.this.release();
      }
    };
  }

  @Override
  protected void freeStorage() {
    inner.release();
  }
}
