package io.zbmd.gpu.cuda;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import java.lang.ref.Cleaner;
import jcuda.driver.CUdeviceptr;

/**
 * Device memory from {@code cuMemAlloc}. Freeing is stream-ordered: {@link #release()} (or the
 * garbage collector, for a buffer that leaked) hands the pointer to its device, which frees it once
 * the work already on the stream has finished with it, without blocking the caller.
 */
final class CudaBuffer extends DeviceBuffer {
  private final CUdeviceptr pointer;
  private final Cleaner.Cleanable cleanable;
  // For a slice: the buffer it holds a reference on (its pointer is already offset).
  private final CudaBuffer parent;

  CudaBuffer(DeviceId id, DType dtype, long elements, String owner, CUdeviceptr pointer,
      CudaDevice device, Cleaner cleaner) {
    super(id, dtype, elements, owner);
    this.pointer = pointer;
    // The action holds the pointer and the device, never the buffer, so the buffer can be collected.
    this.cleanable = cleaner.register(this, new Free(device, pointer));
    this.parent = null;
  }

  private CudaBuffer(CudaBuffer parent, long offset, long count, String owner) {
    super(parent.device(), parent.dtype(), count, owner);
    this.pointer = parent.pointer.withByteOffset(offset * parent.dtype().byteSize());
    this.cleanable = null;
    this.parent = parent;
  }

  @Override
  protected DeviceBuffer newSlice(long offset, long count, String owner) {
    return new CudaBuffer(this, offset, count, owner);
  }

  /** The address of element {@code offset}, for a call made while this buffer is live. */
  CUdeviceptr at(long offset) {
    checkLive();
    return offset == 0 ? pointer : pointer.withByteOffset(offset * dtype().byteSize());
  }

  @Override
  protected void freeStorage() {
    if (parent != null) {
      parent.release();
      return;
    }
    cleanable.clean();
  }

  private record Free(CudaDevice device, CUdeviceptr pointer) implements Runnable {
    @Override
    public void run() {
      device.free(pointer);
    }
  }
}
