package io.zbmd.ml.tensor;

import io.zbmd.gpu.DType;
import java.util.Objects;

/**
 * A tensor rewritten every step (a layer's output, its input gradient, a scratch matrix), kept
 * between steps so that training allocates nothing once the batch shape is known. {@link #get}
 * returns a tensor of the asked shape, reusing the buffer while it is large enough (a smaller last
 * batch takes a view of it) and replacing it only when a larger shape comes. The slot owns what it
 * returns: callers use it until the next {@code get} or {@link #close()} and never release it.
 *
 * <pre>{@code
 * TensorSlot out = new TensorSlot(alloc, DType.FLOAT32, "fc1.output");
 * Tensor y = out.get(batch, 128);   // allocated on the first step, reused afterwards
 * ...
 * out.close();                      // when the layer is closed
 * }</pre>
 */
public final class TensorSlot implements AutoCloseable {
  private final Allocator allocator;
  private final DType dtype;
  private final String what;
  private Tensor storage; // owns the buffer
  private Tensor current; // storage itself, or a view of it in another shape
  private long allocations;

  public TensorSlot(Allocator allocator, DType dtype, String what) {
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.dtype = Objects.requireNonNull(dtype, "dtype");
    this.what = Objects.requireNonNull(what, "what");
  }

  /**
   * A tensor of exactly {@code shape}, valid until the next call or {@link #close()}. Its values
   * are whatever the slot held before (unspecified after a reallocation).
   */
  public Tensor get(int... shape) {
    if (current != null && current.hasShape(shape)) {
      return current;
    }
    long n = Tensor.numel(shape);
    if (storage == null || storage.numel() < n) {
      close();
      storage = Tensor.allocate(allocator, what, dtype, shape);
      allocations++;
      current = storage;
      return current;
    }
    dropView();
    current = storage.hasShape(shape) ? storage : storage.view(shape);
    return current;
  }

  /** The tensor the last {@link #get} returned, or null if none (or closed). */
  public Tensor current() {
    return current;
  }

  /** How many buffers this slot has allocated so far: it stops growing once the shapes settle. */
  public long allocations() {
    return allocations;
  }

  /** Releases the buffer; a later {@link #get} allocates again. Idempotent. */
  @Override
  public void close() {
    dropView();
    if (storage != null) {
      storage.release();
      storage = null;
    }
    current = null;
  }

  private void dropView() {
    if (current != null && current != storage) {
      current.release();
    }
    current = null;
  }
}
