package io.zbmd.gpu;

/** Elementwise functions of two arguments: {@code out = f(a, b)}, {@code b} possibly broadcast. */
public enum BinaryOp {
  ADD,
  SUB,
  MUL,
  DIV,
  MAX,
  MIN,
  /** {@code a} where {@code b > 0}, else 0: ReLU's backward pass with a = dy, b = x. */
  RELU_GRAD
}
