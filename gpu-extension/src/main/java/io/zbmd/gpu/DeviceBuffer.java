package io.zbmd.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory on a device: {@link #elements()} values of one {@link DType}, owned by the actor (or
 * component) named by {@link #owner()}. Reference-counted: it starts at one reference, held by the
 * owner, and its storage is freed when the count reaches zero. Using a freed buffer throws an
 * {@link IllegalStateException} naming it, never a JVM crash.
 *
 * <p>Backends subclass it to hold their storage; users get buffers from {@code
 * GpuExtension.allocate} (accounted, limit-checked) and free them with {@link #release()} or by
 * letting their owner stop.
 */
public abstract class DeviceBuffer implements ReferenceCounted {
  private static final AtomicLong IDS = new AtomicLong();

  /** Told when a buffer's storage is freed (memory accounting, leak tracking). */
  public interface FreeListener {
    void freed(DeviceBuffer buffer);
  }

  /**
   * Told when {@link #touch} records a hint. Leak tracking uses it to remember the last touch
   * without keeping the buffer reachable.
   */
  public interface TouchListener {
    void touched(DeviceBuffer buffer, Object hint);
  }

  private static final TouchListener[] NO_TOUCH_LISTENERS = new TouchListener[0];

  private final long id = IDS.incrementAndGet();
  private final DeviceId device;
  private final DType dtype;
  private final long elements;
  private final String owner;
  private final AtomicInteger refCnt = new AtomicInteger(1);
  private final List<FreeListener> listeners = new ArrayList<>(2);
  private volatile String lastTouch;
  private volatile TouchListener[] touchListeners = NO_TOUCH_LISTENERS;

  protected DeviceBuffer(DeviceId device, DType dtype, long elements, String owner) {
    this.device = Objects.requireNonNull(device, "device");
    this.dtype = Objects.requireNonNull(dtype, "dtype");
    if (elements <= 0) {
      throw new IllegalArgumentException("buffer size must be > 0 elements, got " + elements);
    }
    this.elements = elements;
    this.owner = Objects.requireNonNull(owner, "owner");
  }

  /** Frees the backend storage; called once, when the count reaches zero. */
  protected abstract void freeStorage();

  /**
   * A view of elements {@code [offset, offset + count)} of this buffer, sharing its storage: what an
   * op writes through the slice is in this buffer, and the other way round. The slice holds a
   * reference on this buffer (taken here, given back when the slice's own count reaches zero), so
   * the storage lives as long as any slice of it. A slice is not accounted as memory of its own.
   *
   * <p>Why: data-parallel training keeps every gradient in a few contiguous buckets (as PyTorch DDP
   * does) so that they are exchanged in one copy per bucket, not one per parameter; each
   * parameter's gradient is a slice of its bucket.
   *
   * <pre>{@code
   * DeviceBuffer bucket = gpu.allocate(device, DType.FLOAT32, 1024, "grads");
   * DeviceBuffer g = bucket.slice(256, 10, "fc2.bias.grad");  // elements 256..265 of bucket
   * g.release();
   * bucket.release();                                         // storage freed after both
   * }</pre>
   *
   * @param offset the first element; a multiple of {@link #SLICE_ALIGNMENT} elements, since GPUs
   *     bind storage only at aligned offsets
   * @throws IllegalArgumentException for a range outside this buffer or a misaligned offset
   */
  public final DeviceBuffer slice(long offset, long count, String owner) {
    checkLive();
    if (offset < 0 || count <= 0 || offset + count > elements) {
      throw new IllegalArgumentException(
          "slice [" + offset + ", " + (offset + count) + ") is outside " + this);
    }
    if (offset % SLICE_ALIGNMENT != 0) {
      throw new IllegalArgumentException(
          "slice offset " + offset + " of " + this + " is not a multiple of " + SLICE_ALIGNMENT);
    }
    retain();
    try {
      return newSlice(offset, count, Objects.requireNonNull(owner, "owner"));
    } catch (RuntimeException | Error e) {
      release();
      throw e;
    }
  }

  /**
   * Slice offsets are multiples of this many elements: 64 four-byte values are 256 bytes, the
   * largest {@code minStorageBufferOffsetAlignment} Vulkan allows, and CUDA's allocation alignment.
   */
  public static final int SLICE_ALIGNMENT = 64;

  /**
   * Makes the slice for {@link #slice}, which has checked the range and taken the reference the
   * slice's {@link #freeStorage} gives back. Backends whose storage can be shared override it.
   */
  protected DeviceBuffer newSlice(long offset, long count, String owner) {
    throw new IllegalArgumentException(
        getClass().getSimpleName() + " on " + device + " cannot be sliced");
  }

  /** Unique within the JVM, for messages and leak reports. */
  public final long id() {
    return id;
  }

  public final DeviceId device() {
    return device;
  }

  public final DType dtype() {
    return dtype;
  }

  /** Number of values. */
  public final long elements() {
    return elements;
  }

  /** Size in bytes. */
  public final long byteSize() {
    return elements * dtype.byteSize();
  }

  /** The owning actor's path (or another owner name). */
  public final String owner() {
    return owner;
  }

  /** True once the storage is freed. */
  public final boolean isFreed() {
    return refCnt.get() == 0;
  }

  /** Throws unless the buffer is live: for backends before touching the storage. */
  public final void checkLive() {
    if (refCnt.get() == 0) {
      throw new IllegalStateException("use after free: " + this);
    }
  }

  /** Adds a listener told when the storage is freed. Not for use after the buffer is shared. */
  public final void addFreeListener(FreeListener listener) {
    synchronized (listeners) {
      listeners.add(listener);
    }
  }

  /** Adds a listener told on every {@link #touch}. Not for use after the buffer is shared. */
  public final void addTouchListener(TouchListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (listeners) {
      TouchListener[] old = touchListeners;
      TouchListener[] grown = java.util.Arrays.copyOf(old, old.length + 1);
      grown[old.length] = listener;
      touchListeners = grown;
    }
  }

  @Override
  public final int refCnt() {
    return refCnt.get();
  }

  @Override
  public final DeviceBuffer retain() {
    while (true) {
      int c = refCnt.get();
      if (c == 0) {
        throw new IllegalStateException("retain after free: " + this);
      }
      if (refCnt.compareAndSet(c, c + 1)) {
        return this;
      }
    }
  }

  @Override
  public final boolean release() {
    while (true) {
      int c = refCnt.get();
      if (c == 0) {
        throw new IllegalStateException("release after free (double free): " + this);
      }
      if (refCnt.compareAndSet(c, c - 1)) {
        if (c == 1) {
          freeStorage();
          List<FreeListener> copy;
          synchronized (listeners) {
            copy = List.copyOf(listeners);
          }
          for (FreeListener l : copy) {
            l.freed(this);
          }
          return true;
        }
        return false;
      }
    }
  }

  @Override
  public final DeviceBuffer touch(Object hint) {
    lastTouch = String.valueOf(hint);
    for (TouchListener l : touchListeners) {
      l.touched(this, hint);
    }
    return this;
  }

  /** The last {@link #touch} hint, or null. */
  public final String lastTouch() {
    return lastTouch;
  }

  @Override
  public String toString() {
    return "buffer#" + id + " on " + device + " (" + elements + " x " + dtype + ", "
        + Bytes.format(byteSize()) + ", owner " + owner + (isFreed() ? ", freed" : "") + ")";
  }
}
