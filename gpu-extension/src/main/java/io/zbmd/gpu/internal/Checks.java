package io.zbmd.gpu.internal;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;

/**
 * The argument checks {@link CheckedOps} is made of. Every message starts with the op and names
 * the argument, what was expected and what was given, so that a failed stage says what to fix.
 * Messages are built only on failure: a passing check costs a few comparisons.
 */
final class Checks {
  private final DeviceId device;
  private final Class<? extends DeviceBuffer> bufferType;

  Checks(DeviceId device, Class<? extends DeviceBuffer> bufferType) {
    this.device = device;
    this.bufferType = bufferType;
  }

  static void notNull(String op, String name, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(op + ": " + name + " is null");
    }
  }

  /** A dimension: zero-sized matrices are almost always a shape computed wrong, so they fail too. */
  static void positive(String op, String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(op + ": " + name + " must be > 0, got " + value);
    }
  }

  /** A count of a memory op: 0 is a no-op, as for memcpy (the last chunk of a split copy). */
  static void nonNegative(String op, String name, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(op + ": " + name + " must be >= 0, got " + value);
    }
  }

  /** A hyperparameter that must lie in {@code [min, max)} ({@code max} may be infinite). */
  static void inRange(
      String op, String name, double value, double min, double max, boolean maxIncluded) {
    boolean ok = value >= min && (value < max || maxIncluded && value == max);
    if (!ok) {
      throw new IllegalArgumentException(op + ": " + name + " must be in [" + min + ", " + max
          + (maxIncluded ? "]" : ")") + ", got " + value);
    }
  }

  /** A row-major leading dimension: at least the stored row length. */
  static void leadingDimension(String op, String name, int ld, int rowLength, String what) {
    if (ld < rowLength) {
      throw new IllegalArgumentException(op + ": " + name + " must be >= " + rowLength
          + " (the stored row length of " + what + "), got " + ld);
    }
  }

  /** A host array range {@code [offset, offset + count)}. */
  static void hostRange(String op, String name, int length, int offset, int count) {
    if (offset < 0 || (long) offset + count > length) {
      throw new IllegalArgumentException(op + ": " + name + " needs elements [" + offset + ", "
          + ((long) offset + count) + ") but the array holds " + length);
    }
  }

  /**
   * A live buffer of this backend and device, of {@code dtype}, holding elements {@code [offset,
   * offset + extent)}. {@code extent} is what the op touches (for a strided matrix: up to its last
   * element), so an op whose arguments pass can never read or write outside the buffer.
   */
  void buffer(String op, String name, DeviceBuffer b, DType dtype, long offset, long extent) {
    notNull(op, name, b);
    if (b.isFreed()) {
      throw new IllegalStateException(op + ": " + name + ": use after free: " + b);
    }
    if (!device.equals(b.device())) {
      throw new IllegalArgumentException(op + ": " + name + " is " + b + ", on " + b.device()
          + ", but this stream's device is " + device);
    }
    if (!bufferType.isInstance(b)) {
      throw new IllegalArgumentException(op + ": " + name + " is " + b + ", a "
          + b.getClass().getSimpleName() + " that another backend allocated; this backend needs a "
          + bufferType.getSimpleName());
    }
    if (b.dtype() != dtype) {
      throw new IllegalArgumentException(op + ": " + name + " must be " + dtype + ", got " + b);
    }
    if (offset < 0) {
      throw new IllegalArgumentException(op + ": " + name + "Offset must be >= 0, got " + offset);
    }
    if (offset > b.elements() - extent) {
      throw new IllegalArgumentException(op + ": " + name + " needs elements [" + offset + ", "
          + (offset + extent) + ") but " + b + " holds " + b.elements());
    }
  }

  /** Like {@link #buffer} for an optional argument. */
  void optionalBuffer(String op, String name, DeviceBuffer b, DType dtype, long extent) {
    if (b != null) {
      buffer(op, name, b, dtype, 0, extent);
    }
  }

  /**
   * An output must not share elements with an input (or another output): backends read and write
   * in parallel, so an overlap would give a result that depends on the backend and the schedule.
   */
  static void disjoint(String op, String outName, DeviceBuffer out, long outStart, long outExtent,
      String inName, DeviceBuffer in, long inStart, long inExtent) {
    if (out != null && out == in && outStart < inStart + inExtent && inStart < outStart + outExtent) {
      throw new IllegalArgumentException(op + ": " + outName + " overlaps " + inName + " in " + out
          + " (elements [" + outStart + ", " + (outStart + outExtent) + ") and [" + inStart + ", "
          + (inStart + inExtent) + ")); an output must not alias an input");
    }
  }

  /** {@link #disjoint} for whole-buffer arguments without offsets. */
  static void distinct(String op, String outName, DeviceBuffer out, String inName, DeviceBuffer in) {
    if (out != null && out == in) {
      throw new IllegalArgumentException(op + ": " + outName + " and " + inName + " are the same "
          + out + "; they must be distinct buffers");
    }
  }

  /** Elements a row-major {@code rows x cols} matrix with row stride {@code ld} spans. */
  static long span(int rows, int cols, int ld) {
    return (long) (rows - 1) * ld + cols;
  }

  /** Elements {@code count} matrices of {@code span} elements spaced by {@code stride} span. */
  static long batchSpan(String op, String name, long span, long stride, int count) {
    if (stride < 0) {
      throw new IllegalArgumentException(op + ": " + name + " must be >= 0, got " + stride);
    }
    try {
      return Math.addExact(Math.multiplyExact(stride, count - 1L), span);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(op + ": " + name + " " + stride + " times " + count
          + " batches overflows a long", e);
    }
  }
}
