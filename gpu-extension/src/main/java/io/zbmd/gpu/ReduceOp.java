package io.zbmd.gpu;

/** Reductions over one axis of a {@code rows x cols} matrix. */
public enum ReduceOp {
  SUM,
  MAX,
  MEAN
}
