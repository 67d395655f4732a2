package io.zbmd.gpu;

/** How the second operand of a binary op covers a {@code rows x cols} first operand. */
public enum Broadcast {
  /** Same shape: {@code rows x cols}. */
  NONE,
  /** One row of {@code cols} values, repeated for every row (a bias). */
  ROW,
  /** One column of {@code rows} values, repeated for every column. */
  COLUMN,
  /** One value for everything. */
  SCALAR
}
