package io.zbmd.gpu;

/** Elementwise functions of one argument: {@code y[i] = f(x[i])}. */
public enum UnaryOp {
  NEG,
  ABS,
  EXP,
  /** Natural logarithm. */
  LOG,
  SQRT,
  SQUARE,
  RECIPROCAL,
  TANH,
  SIGMOID,
  RELU
}
