package io.zbmd.ml.io;

/** 16-bit float decoding; Java 17 has no {@code Float.float16ToFloat} (it came in Java 20). */
final class HalfFloats {
  private HalfFloats() {}

  /** IEEE 754 binary16 to float32, exact (every half value is a float value). */
  static float halfToFloat(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1F;
    int mantissa = bits & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // Zero or subnormal: mantissa × 2^-24, exact in float32.
      float v = mantissa * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** bfloat16 is the upper half of a float32. */
  static float bfloat16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xFFFF) << 16);
  }
}
