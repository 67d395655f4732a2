package io.zbmd.ml.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor in host memory as model files hold it: an element type, a shape (row-major, PyTorch's
 * order) and the elements as little-endian bytes. It is what {@link SafeTensors} and {@link
 * PtReader} return and what {@link SafeTensors#write} takes; device tensors are built from it.
 *
 * <p>Keeping the bytes as the file had them makes a read-then-write round trip exact for every
 * type; {@link #toFloats()} converts when a float32 copy is wanted. The value is immutable: the
 * constructor and the array accessors copy.
 *
 * <pre>{@code
 * HostTensor w = HostTensor.ofFloats(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
 * float[] values = w.toFloats();   // {1, 2, 3, 4, 5, 6}
 * long n = w.numel();              // 6
 * }</pre>
 *
 * @param dtype element type
 * @param shape dimensions, each at least 0; an empty shape is a scalar
 * @param data {@code numel * dtype.byteSize()} little-endian bytes
 */
public record HostTensor(HostDType dtype, int[] shape, byte[] data) {

  public HostTensor {
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    shape = shape.clone();
    long numel = numel(shape);
    if (numel < 0) {
      throw new IllegalArgumentException("invalid shape " + Arrays.toString(shape));
    }
    if (numel * dtype.byteSize() != data.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + numel * dtype.byteSize()
              + " bytes, got "
              + data.length);
    }
    data = data.clone();
  }

  /** A float32 tensor holding a copy of {@code values}. */
  public static HostTensor ofFloats(int[] shape, float[] values) {
    ByteBuffer b = buffer(values.length * 4L);
    b.asFloatBuffer().put(values);
    return new HostTensor(HostDType.F32, shape, b.array());
  }

  /** A float64 tensor holding a copy of {@code values}. */
  public static HostTensor ofDoubles(int[] shape, double[] values) {
    ByteBuffer b = buffer(values.length * 8L);
    b.asDoubleBuffer().put(values);
    return new HostTensor(HostDType.F64, shape, b.array());
  }

  /** An int32 tensor holding a copy of {@code values}. */
  public static HostTensor ofInts(int[] shape, int[] values) {
    ByteBuffer b = buffer(values.length * 4L);
    b.asIntBuffer().put(values);
    return new HostTensor(HostDType.I32, shape, b.array());
  }

  /** An int64 tensor holding a copy of {@code values}. */
  public static HostTensor ofLongs(int[] shape, long[] values) {
    ByteBuffer b = buffer(values.length * 8L);
    b.asLongBuffer().put(values);
    return new HostTensor(HostDType.I64, shape, b.array());
  }

  /** A copy of the dimensions. */
  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** A copy of the little-endian element bytes. */
  @Override
  public byte[] data() {
    return data.clone();
  }

  /** Number of elements (1 for a scalar). */
  public long numel() {
    return numel(shape);
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Size in bytes of the element data. */
  public int byteSize() {
    return data.length;
  }

  /** True when the shape equals {@code dims}. */
  public boolean hasShape(int... dims) {
    return Arrays.equals(shape, dims);
  }

  /**
   * The elements as float32, converted from any type: float16 and bfloat16 exactly, float64 and
   * int64 rounded to the nearest float, booleans as 0 and 1.
   */
  public float[] toFloats() {
    int n = (int) numel();
    float[] out = new float[n];
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out);
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) b.getDouble(i * 8);
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = HalfFloats.halfToFloat(b.getShort(i * 2));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = HalfFloats.bfloat16ToFloat(b.getShort(i * 2));
        }
      }
      default -> {
        long[] longs = toLongs();
        for (int i = 0; i < n; i++) {
          out[i] = longs[i];
        }
      }
    }
    return out;
  }

  /**
   * The elements of an integer or boolean tensor as int64 (U8 is unsigned, I8 signed).
   *
   * @throws IllegalStateException for floating-point types, whose conversion would round
   */
  public long[] toLongs() {
    if (dtype.isFloatingPoint()) {
      throw new IllegalStateException("toLongs() on a " + dtype + " tensor; use toFloats()");
    }
    int n = (int) numel();
    long[] out = new long[n];
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (dtype) {
            case BOOL, U8 -> b.get(i) & 0xFF;
            case I8 -> b.get(i);
            case I16 -> b.getShort(i * 2);
            case I32 -> b.getInt(i * 4);
            case I64 -> b.getLong(i * 8);
            default -> throw new AssertionError(dtype);
          };
    }
    return out;
  }

  /** Same type, shape and bytes. */
  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor t
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }

  /** Product of the dimensions, or -1 when one is negative or the product overflows a long. */
  static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        return -1;
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        return -1;
      }
    }
    return n;
  }

  private static ByteBuffer buffer(long bytes) {
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("tensor of " + bytes + " bytes exceeds 2 GiB");
    }
    return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
