package io.zbmd.ml.tensor;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import java.util.Arrays;
import java.util.Objects;

/**
 * A shaped, typed handle on device memory: a shape (row-major, PyTorch's order: {@code [N, C, H,
 * W]}, a {@code Linear} weight {@code [out, in]}), a {@link DType} and the {@link DeviceBuffer}
 * holding the values. The values never leave the device except through {@link #toHost}; all
 * computation goes through {@link Ops} inside a {@link io.zbmd.gpu.DeviceStream.Work}, so the same
 * code runs on every backend.
 *
 * <p>Every tensor holds one reference to its buffer and gives it back with {@link #release()}:
 * whoever {@linkplain #allocate allocated}, {@linkplain #wrap wrapped} or took a {@linkplain #view
 * view} releases it once. A view shares the buffer (it holds its own reference), so the storage
 * lives until the last of them is released. Tensors a layer returns from {@code forward} or {@code
 * backward} belong to the layer: use them, do not release them. Not thread-safe: a tensor is used
 * by one actor, or one work at a time.
 *
 * <pre>{@code
 * Tensor x = stream.submit(ops -> Tensor.of(ops, alloc, "x", new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
 *     .toCompletableFuture().join();
 * Tensor flat = x.view(6);            // same values, another shape, its own reference
 * float[] back = stream.submit(ops -> flat.toHost(ops)).toCompletableFuture().join();
 * flat.release();
 * x.release();
 * }</pre>
 */
public final class Tensor {
  private final int[] shape;
  private final long numel;
  private final DType dtype;
  private final DeviceBuffer buffer;
  // Who takes the reference back: the allocator that handed it out, or null to release the buffer
  // directly (views and wrapped buffers hold a reference of their own).
  private final Allocator releaser;
  private boolean released;

  private Tensor(int[] shape, DType dtype, DeviceBuffer buffer, Allocator releaser) {
    this.shape = shape;
    this.numel = numel(shape);
    this.dtype = dtype;
    this.buffer = buffer;
    this.releaser = releaser;
  }

  // ---- making tensors ----

  /**
   * A new tensor of {@code shape} from {@code allocator}; its values are unspecified until written.
   *
   * @param what what it holds, for leak reports (e.g. {@code fc1.weight})
   * @throws IllegalArgumentException for a dimension that is not positive
   */
  public static Tensor allocate(Allocator allocator, String what, DType dtype, int... shape) {
    Objects.requireNonNull(allocator, "allocator");
    Objects.requireNonNull(dtype, "dtype");
    int[] s = checkShape(shape);
    DeviceBuffer b = allocator.allocate(dtype, numel(s), what);
    return new Tensor(s, dtype, b, allocator);
  }

  /** A new FLOAT32 tensor of {@code shape}, filled with zeros (enqueued on {@code ops}). */
  public static Tensor zeros(Ops ops, Allocator allocator, String what, int... shape) {
    Tensor t = allocate(allocator, what, DType.FLOAT32, shape);
    t.fill(ops, 0f);
    return t;
  }

  /** A new FLOAT32 tensor of {@code shape} holding {@code values} (row-major). */
  public static Tensor of(Ops ops, Allocator allocator, String what, float[] values, int... shape) {
    checkLength(values.length, shape);
    Tensor t = allocate(allocator, what, DType.FLOAT32, shape);
    t.fromHost(ops, values);
    return t;
  }

  /** A new INT32 tensor of {@code shape} holding {@code values} (class labels, indices). */
  public static Tensor of(Ops ops, Allocator allocator, String what, int[] values, int... shape) {
    checkLength(values.length, shape);
    Tensor t = allocate(allocator, what, DType.INT32, shape);
    t.fromHost(ops, values);
    return t;
  }

  /**
   * A tensor over the first values of {@code buffer}, taking over one reference the caller holds
   * (released by {@link #release()} with {@link DeviceBuffer#release()}).
   */
  public static Tensor wrap(DeviceBuffer buffer, int... shape) {
    Objects.requireNonNull(buffer, "buffer");
    buffer.checkLive();
    int[] s = checkShape(shape);
    checkFits(buffer, s);
    return new Tensor(s, buffer.dtype(), buffer, null);
  }

  /**
   * A tensor of {@code shape} over the first {@code numel(shape)} values of this tensor's buffer (a
   * reshape when the count is the same): it shares the storage, holds a reference of its own and is
   * released on its own.
   *
   * @throws IllegalArgumentException if the buffer holds fewer values than the shape needs
   */
  public Tensor view(int... shape) {
    checkLive();
    int[] s = checkShape(shape);
    checkFits(buffer, s);
    return new Tensor(s, dtype, buffer.retain(), null);
  }

  // ---- what it is ----

  /** The dimensions, outermost first (a copy). */
  public int[] shape() {
    return shape.clone();
  }

  /** Number of dimensions; 0 for a scalar. */
  public int rank() {
    return shape.length;
  }

  /** Size of dimension {@code axis}; negative axes count from the end, as in PyTorch. */
  public int dim(int axis) {
    int a = axis < 0 ? shape.length + axis : axis;
    if (a < 0 || a >= shape.length) {
      throw new IndexOutOfBoundsException(
          "axis " + axis + " of a tensor of shape " + shapeString(shape));
    }
    return shape[a];
  }

  /** Whether the shape is exactly {@code dims}. */
  public boolean hasShape(int... dims) {
    return Arrays.equals(shape, dims);
  }

  /** Whether {@code other} has the same shape. */
  public boolean sameShape(Tensor other) {
    return Arrays.equals(shape, other.shape);
  }

  /** Number of values: the product of the dimensions. */
  public long numel() {
    return numel;
  }

  public DType dtype() {
    return dtype;
  }

  /** The storage; it may hold more values than {@link #numel()} (a view of a larger buffer). */
  public DeviceBuffer buffer() {
    return buffer;
  }

  public DeviceId device() {
    return buffer.device();
  }

  // ---- values (enqueued on ops) ----

  /**
   * Copies the values to a new host array. On an asynchronous device the array is filled when the
   * work that called this completes; read it after that (e.g. return it from the work).
   */
  public float[] toHost(Ops ops) {
    checkDType(DType.FLOAT32, "toHost");
    float[] out = new float[hostLength("toHost")];
    ops.copyToHost(buffer, 0, out, 0, out.length);
    return out;
  }

  /** Copies the values of an INT32 tensor to a new host array; as {@link #toHost}. */
  public int[] toHostInts(Ops ops) {
    checkDType(DType.INT32, "toHostInts");
    int[] out = new int[hostLength("toHostInts")];
    ops.copyToHost(buffer, 0, out, 0, out.length);
    return out;
  }

  /**
   * Overwrites the values with {@code values} ({@link #numel()} of them, row-major); returns this.
   */
  public Tensor fromHost(Ops ops, float[] values) {
    checkDType(DType.FLOAT32, "fromHost");
    checkLength(values.length, shape);
    ops.copyFromHost(values, 0, buffer, 0, values.length);
    return this;
  }

  /** Overwrites the values of an INT32 tensor; returns this. */
  public Tensor fromHost(Ops ops, int[] values) {
    checkDType(DType.INT32, "fromHost");
    checkLength(values.length, shape);
    ops.copyFromHost(values, 0, buffer, 0, values.length);
    return this;
  }

  /** Sets every value of a FLOAT32 tensor to {@code value}; returns this. */
  public Tensor fill(Ops ops, float value) {
    checkDType(DType.FLOAT32, "fill");
    ops.fill(buffer, 0, numel, value);
    return this;
  }

  /** Copies the values of {@code src} (same dtype and number of values) into this; returns this. */
  public Tensor copyFrom(Ops ops, Tensor src) {
    if (src.dtype != dtype || src.numel != numel) {
      throw new IllegalArgumentException("copyFrom: cannot copy " + src + " into " + this);
    }
    ops.copy(src.buffer, 0, buffer, 0, numel);
    return this;
  }

  // ---- lifetime ----

  /**
   * Gives back this tensor's reference to its buffer (the storage is freed when no tensor or other
   * holder is left).
   *
   * @throws IllegalStateException if this tensor was already released
   */
  public void release() {
    if (released) {
      throw new IllegalStateException("tensor released twice: " + this);
    }
    released = true;
    if (releaser != null) {
      releaser.release(buffer);
    } else {
      buffer.release();
    }
  }

  /** Whether {@link #release()} was called on this handle. */
  public boolean isReleased() {
    return released;
  }

  @Override
  public String toString() {
    return "Tensor"
        + shapeString(shape)
        + " "
        + dtype
        + " on "
        + buffer.device()
        + (released ? " (released)" : "");
  }

  // ---- shape helpers ----

  /** {@code [64, 784]}: the form every shape takes in messages. */
  public static String shapeString(int... shape) {
    return Arrays.toString(shape);
  }

  /** The product of the dimensions (1 for a scalar). */
  public static long numel(int... shape) {
    long n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, (long) d);
    }
    return n;
  }

  private static int[] checkShape(int[] shape) {
    Objects.requireNonNull(shape, "shape");
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException(
            "tensor dimensions must be > 0, got " + shapeString(shape));
      }
    }
    return shape.clone();
  }

  private static void checkFits(DeviceBuffer buffer, int[] shape) {
    if (numel(shape) > buffer.elements()) {
      throw new IllegalArgumentException(
          "shape "
              + shapeString(shape)
              + " needs "
              + numel(shape)
              + " values but "
              + buffer
              + " holds "
              + buffer.elements());
    }
  }

  private static void checkLength(int length, int[] shape) {
    if (length != numel(shape)) {
      throw new IllegalArgumentException(
          length
              + " host values do not fill shape "
              + shapeString(shape)
              + " ("
              + numel(shape)
              + " values)");
    }
  }

  private void checkDType(DType expected, String op) {
    if (dtype != expected) {
      throw new IllegalArgumentException(op + ": needs a " + expected + " tensor, got " + this);
    }
  }

  private int hostLength(String op) {
    if (numel > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          op + ": " + this + " has too many values for a Java array");
    }
    return (int) numel;
  }

  private void checkLive() {
    if (released) {
      throw new IllegalStateException("tensor used after release: " + this);
    }
    buffer.checkLive();
  }
}
