package io.zbmd.gpu;

/**
 * Element types of device buffers. Backends implement {@link #FLOAT32} (and {@link #INT32} for
 * labels and argmax indices) today; the others reserve their place so that adding fp16/bf16 later
 * changes no signature.
 */
public enum DType {
  FLOAT32(4),
  INT32(4),
  FLOAT16(2),
  BFLOAT16(2),
  INT8(1),
  INT64(8);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }
}
