package io.zbmd.gpu.cpu;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * CPU device memory: off-heap (so that it is accounted, freed and leak-checked like GPU memory,
 * not left to the garbage collector), zeroed at allocation so results never depend on old memory.
 */
final class CpuBuffer extends DeviceBuffer {
  private final Pointer storage;
  private final FloatBuffer floats;
  private final IntBuffer ints;
  // For a slice: the buffer it holds a reference on, and where in the storage the slice starts.
  private final CpuBuffer parent;
  private final long base;

  CpuBuffer(DeviceId device, DType dtype, long elements, String owner) {
    super(device, dtype, elements, owner);
    if (elements > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "the CPU backend holds at most " + Integer.MAX_VALUE + " elements per buffer, asked " + elements);
    }
    switch (dtype) {
      case FLOAT32 -> {
        FloatPointer p = new FloatPointer(elements);
        storage = p;
        floats = p.asBuffer();
        ints = null;
      }
      case INT32 -> {
        IntPointer p = new IntPointer(elements);
        storage = p;
        floats = null;
        ints = p.asBuffer();
      }
      default -> throw new IllegalArgumentException("the CPU backend does not support " + dtype + " yet");
    }
    if (storage.isNull()) {
      throw new OutOfMemoryError("malloc of " + byteSize() + " bytes failed");
    }
    storage.zero();
    parent = null;
    base = 0;
  }

  private CpuBuffer(CpuBuffer parent, long offset, long count, String owner) {
    super(parent.device(), parent.dtype(), count, owner);
    this.parent = parent;
    this.base = parent.base + offset;
    this.storage = parent.storage;
    this.floats = parent.floats == null ? null : parent.floats.slice((int) offset, (int) count);
    this.ints = parent.ints == null ? null : parent.ints.slice((int) offset, (int) count);
  }

  @Override
  protected DeviceBuffer newSlice(long offset, long count, String owner) {
    return new CpuBuffer(this, offset, count, owner);
  }

  /** The values, for FLOAT32 buffers (absolute get/put only: the view is shared). */
  FloatBuffer floats() {
    checkLive();
    if (floats == null) {
      throw new IllegalArgumentException(this + " is not FLOAT32");
    }
    return floats;
  }

  /** The values, for INT32 buffers (absolute get/put only: the view is shared). */
  IntBuffer ints() {
    checkLive();
    if (ints == null) {
      throw new IllegalArgumentException(this + " is not INT32");
    }
    return ints;
  }

  /**
   * A pointer to element {@code offset}, for a native call made while this buffer is reachable.
   * Not {@code new FloatPointer(storage)}: that registers a PhantomReference (JavaCPP's
   * ProxyDeallocator) per call for the GC to process, a cost per gemm that plain OpenBLAS has not.
   */
  FloatPointer floatPointer(long offset) {
    checkLive();
    return new View(storage, base + offset);
  }

  /** A plain address: no deallocator, no reference for the GC; the buffer keeps the memory. */
  private static final class View extends FloatPointer {
    View(Pointer storage, long position) {
      this.address = storage.address();
      this.capacity = storage.capacity();
      this.limit = storage.capacity();
      this.position = position;
    }
  }

  @Override
  protected void freeStorage() {
    if (parent != null) {
      parent.release();
      return;
    }
    storage.deallocate();
  }
}
