package io.zbmd.serving;

import java.util.Arrays;
import java.util.Objects;

/**
 * A model input or output as the Open Inference Protocol describes it: a name, a datatype ({@code
 * FP32}, ...) and the shape of one row, without the batch dimension (metadata shows it as {@code
 * -1}).
 *
 * <pre>{@code
 * TensorSpec input = new TensorSpec("input", "FP32", new int[] {784});
 * }</pre>
 *
 * @param name tensor name
 * @param datatype the protocol's datatype name; models take and give {@code FP32} today
 * @param rowShape dimensions of one row, each at least 1
 */
public record TensorSpec(String name, String datatype, int[] rowShape) {
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    rowShape = rowShape.clone();
    for (int d : rowShape) {
      if (d < 1) {
        throw new IllegalArgumentException("row shape " + Arrays.toString(rowShape) + " of " + name);
      }
    }
  }

  @Override
  public int[] rowShape() {
    return rowShape.clone();
  }

  /** Elements of one row. */
  public int rowSize() {
    int n = 1;
    for (int d : rowShape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The shape with the batch dimension {@code rows} in front. */
  public int[] batchShape(int rows) {
    int[] s = new int[rowShape.length + 1];
    s[0] = rows;
    System.arraycopy(rowShape, 0, s, 1, rowShape.length);
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t
        && name.equals(t.name)
        && datatype.equals(t.datatype)
        && Arrays.equals(rowShape, t.rowShape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, Arrays.hashCode(rowShape));
  }

  @Override
  public String toString() {
    return name + ":" + datatype + Arrays.toString(rowShape);
  }
}
