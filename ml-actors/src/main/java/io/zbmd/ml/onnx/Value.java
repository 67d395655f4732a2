package io.zbmd.ml.onnx;

import io.zbmd.ml.tensor.Tensor;

/**
 * A value flowing through the graph: a FLOAT32 tensor on the device, or a small int64 array on the
 * host (shapes, axes, indices: what {@code torch.onnx.export} computes with Shape, Gather,
 * Unsqueeze and Concat to reshape with a dynamic batch, folded on the host as it runs).
 */
record Value(Tensor tensor, long[] ints, int[] hostShape) {
  static Value of(Tensor t) {
    return new Value(t, null, null);
  }

  static Value ints(long[] values, int... shape) {
    return new Value(null, values, shape);
  }

  boolean onHost() {
    return tensor == null;
  }

  int[] dims() {
    return tensor != null ? tensor.shape() : hostShape.clone();
  }
}
