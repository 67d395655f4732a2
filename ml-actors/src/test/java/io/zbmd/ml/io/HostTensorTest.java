package io.zbmd.ml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zbmd.gpu.DType;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** HostTensor: an immutable host value with exact type conversions. */
class HostTensorTest {

  @Test
  void isAValueThatCopiesItsArrays() {
    float[] values = {1, 2, 3, 4, 5, 6};
    int[] shape = {2, 3};
    HostTensor t = HostTensor.ofFloats(shape, values);
    values[0] = 99;
    shape[0] = 7;
    t.shape()[1] = 9;
    t.data()[0] = 1;
    assertArrayEquals(new int[] {2, 3}, t.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloats());
    assertEquals(6, t.numel());
    assertEquals(24, t.byteSize());
    assertEquals(HostTensor.ofFloats(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}), t);
    assertNotEquals(HostTensor.ofFloats(new int[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6}), t);
  }

  @Test
  void rejectsDataThatDoesNotFitTheShape() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new HostTensor(HostDType.F32, new int[] {2}, new byte[4]));
    assertThrows(
        IllegalArgumentException.class,
        () -> new HostTensor(HostDType.F32, new int[] {-1}, new byte[0]));
  }

  @Test
  void halfAndBfloat16ConvertExactly() {
    short[] halves = {
      0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x0400, 0x7C00, (short) 0xFC00, (short) 0x8000
    };
    float[] expected = {
      1, -2, 65504, 0x1p-24f, 0x1p-14f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f
    };
    assertArrayEquals(
        expected, new HostTensor(HostDType.F16, new int[] {8}, le16(halves)).toFloats());
    assertEquals(
        Float.NaN,
        new HostTensor(HostDType.F16, new int[] {1}, le16(new short[] {0x7E00})).toFloats()[0]);

    short[] bf = {0x3F80, (short) 0xC040, 0x7F80};
    assertArrayEquals(
        new float[] {1, -3, Float.POSITIVE_INFINITY},
        new HostTensor(HostDType.BF16, new int[] {3}, le16(bf)).toFloats());
  }

  @Test
  void integerTypesConvertToLongsAndFloats() {
    HostTensor u8 = new HostTensor(HostDType.U8, new int[] {2}, new byte[] {(byte) 200, 3});
    HostTensor i8 = new HostTensor(HostDType.I8, new int[] {2}, new byte[] {(byte) 200, 3});
    assertArrayEquals(new long[] {200, 3}, u8.toLongs());
    assertArrayEquals(new long[] {-56, 3}, i8.toLongs());
    assertArrayEquals(
        new float[] {7, -1}, HostTensor.ofLongs(new int[] {2}, new long[] {7, -1}).toFloats());
    assertThrows(
        IllegalStateException.class,
        () -> HostTensor.ofFloats(new int[] {1}, new float[] {1}).toLongs());
  }

  @Test
  void mapsToDeviceTypesWhereBackendsHaveThem() {
    assertEquals(Optional.of(DType.FLOAT32), HostDType.F32.deviceType());
    assertEquals(Optional.empty(), HostDType.F64.deviceType());
    assertEquals(Optional.of(HostDType.BF16), HostDType.fromSafetensorsName("BF16"));
    assertEquals(Optional.of(HostDType.I8), HostDType.fromTorchStorageName("CharStorage"));
  }

  private static byte[] le16(short[] v) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(2 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.asShortBuffer().put(v);
    return b.array();
  }
}
