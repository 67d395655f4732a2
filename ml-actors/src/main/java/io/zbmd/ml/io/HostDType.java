package io.zbmd.ml.io;

import io.zbmd.gpu.DType;
import java.util.Optional;

/**
 * Element types that model files carry, named as safetensors names them. The constants are in
 * increasing alignment order, as in the reference safetensors implementation: its writer sorts
 * tensors by this order, descending, so that every tensor's data starts aligned.
 *
 * <pre>{@code
 * HostDType t = HostDType.fromSafetensorsName("BF16").orElseThrow();
 * int bytes = t.byteSize(); // 2
 * }</pre>
 */
public enum HostDType {
  BOOL(1, "BoolStorage"),
  U8(1, "ByteStorage"),
  I8(1, "CharStorage"),
  I16(2, "ShortStorage"),
  F16(2, "HalfStorage"),
  BF16(2, "BFloat16Storage"),
  I32(4, "IntStorage"),
  F32(4, "FloatStorage"),
  F64(8, "DoubleStorage"),
  I64(8, "LongStorage");

  private final int byteSize;
  private final String torchStorage;

  HostDType(int byteSize, String torchStorage) {
    this.byteSize = byteSize;
    this.torchStorage = torchStorage;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The name in a safetensors header ({@code "F32"}, {@code "BF16"}, ...). */
  public String safetensorsName() {
    return name();
  }

  /** The PyTorch typed-storage class that holds this type in a {@code .pt} file. */
  public String torchStorageName() {
    return torchStorage;
  }

  /** True for F16, BF16, F32 and F64. */
  public boolean isFloatingPoint() {
    return this == F16 || this == BF16 || this == F32 || this == F64;
  }

  /** The device element type with the same layout, where backends have one. */
  public Optional<DType> deviceType() {
    return switch (this) {
      case F32 -> Optional.of(DType.FLOAT32);
      case I32 -> Optional.of(DType.INT32);
      case F16 -> Optional.of(DType.FLOAT16);
      case BF16 -> Optional.of(DType.BFLOAT16);
      case I8 -> Optional.of(DType.INT8);
      case I64 -> Optional.of(DType.INT64);
      default -> Optional.empty();
    };
  }

  /** The type a safetensors header names, if this reader supports it. */
  public static Optional<HostDType> fromSafetensorsName(String name) {
    for (HostDType t : values()) {
      if (t.name().equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** The type a PyTorch storage class ({@code FloatStorage}, ...) holds, if supported. */
  public static Optional<HostDType> fromTorchStorageName(String name) {
    for (HostDType t : values()) {
      if (t.torchStorage.equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
