package io.zbmd.ml.onnx;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;

/** One pass through the graph: where its work goes and how its tensors are allocated. */
final class Run {
  /** The most values one intermediate may hold: a bad file fails with a message, not an OOM. */
  static final long MAX_ELEMENTS = 1L << 28;

  final Ops ops;
  final Allocator alloc;
  final boolean training;

  Run(Ops ops, Allocator alloc, boolean training) {
    this.ops = ops;
    this.alloc = alloc;
    this.training = training;
  }

  Tensor allocate(String what, int... shape) {
    long n = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException(what + ": dimension " + d + " in " + Tensor.shapeString(shape));
      }
      n *= d;
      if (n > MAX_ELEMENTS) {
        throw new IllegalArgumentException(what + ": shape " + Tensor.shapeString(shape)
            + " exceeds " + MAX_ELEMENTS + " values");
      }
    }
    return Tensor.allocate(alloc, what, DType.FLOAT32, shape);
  }

  Tensor zeros(String what, int... shape) {
    return allocate(what, shape).fill(ops, 0f);
  }

  static int toInt(String what, long n) {
    if (n > MAX_ELEMENTS || n <= 0) {
      throw new IllegalArgumentException(what + ": " + n + " values is out of range");
    }
    return (int) n;
  }
}
