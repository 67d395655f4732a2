package io.zbmd.ml.nn;

import io.zbmd.gpu.DType;
import io.zbmd.ml.tensor.Tensor;

/** The shape checks layers share; messages name the layer, the expected and the actual shape. */
final class Shapes {
  private Shapes() {}

  static IllegalArgumentException mismatch(
      Object layer, String role, String expected, Tensor actual) {
    return new IllegalArgumentException(
        layer
            + ": expected "
            + role
            + " of shape "
            + expected
            + ", got "
            + Tensor.shapeString(actual.shape())
            + (actual.dtype() == DType.FLOAT32 ? "" : " (" + actual.dtype() + ")"));
  }

  static void requireFloat(Object layer, String role, Tensor t) {
    if (t.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException(layer + ": " + role + " must be FLOAT32, got " + t);
    }
  }

  /** The gradient of an output must have the output's shape. */
  static void requireSameShape(Object layer, String role, Tensor expected, Tensor actual) {
    if (actual.dtype() != DType.FLOAT32 || !actual.sameShape(expected)) {
      throw mismatch(layer, role, Tensor.shapeString(expected.shape()), actual);
    }
  }

  static int toInt(Object layer, long n) {
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          layer + ": " + n + " values exceed what one op can address");
    }
    return (int) n;
  }

  static IllegalStateException noForward(Object layer) {
    return new IllegalStateException(layer + ": backward without a forward pass before it");
  }

  static IllegalStateException closed(Object layer) {
    return new IllegalStateException(layer + " is closed");
  }
}
