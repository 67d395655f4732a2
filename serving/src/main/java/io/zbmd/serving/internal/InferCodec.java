package io.zbmd.serving.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.serving.ServedModel;
import io.zbmd.serving.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Checks a parsed request against its model (names, datatype, shape, size, batch limit) into the
 * FP32 rows the model takes, and writes the response, in JSON or with Triton's binary tensor data.
 */
public final class InferCodec {
  private InferCodec() {}

  /**
   * The input rows of {@code r} for {@code model}; {@code binary} holds the bytes after the JSON
   * header (empty without the binary extension).
   */
  public static HostTensor rows(
      InferRequest r, ServedModel model, int maxBatchSize, byte[] body, int binaryOffset) {
    TensorSpec spec = model.input();
    if (r.inputs().size() != 1) {
      throw new BadRequestException(
          "model " + model.name() + " takes 1 input (" + spec.name() + "), got " + r.inputs().size());
    }
    InferRequest.Input in = r.inputs().get(0);
    if (!in.name().equals(spec.name())) {
      throw new BadRequestException(
          "model " + model.name() + " has no input " + in.name() + " (its input is " + spec.name() + ")");
    }
    int[] want = spec.rowShape();
    int[] shape = in.shape();
    if (shape.length != want.length + 1
        || !Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), want)) {
      throw new BadRequestException(
          "input " + in.name() + " has shape " + Arrays.toString(shape) + ", model " + model.name()
              + " takes " + Arrays.toString(spec.batchShape(-1)));
    }
    int rows = shape[0];
    if (rows < 1) {
      throw new BadRequestException("input " + in.name() + " has no rows (shape " + Arrays.toString(shape) + ")");
    }
    if (rows > maxBatchSize) {
      throw new BadRequestException(
          "input " + in.name() + " has " + rows + " rows, more than model " + model.name()
              + "'s max-batch-size " + maxBatchSize);
    }
    long numel = (long) rows * spec.rowSize();
    DType dtype = DType.of(in.datatype(), in.name());
    if (!dtype.convertsToFp32) {
      throw new BadRequestException(
          "input " + in.name() + " is " + in.datatype() + ", which does not convert to "
              + spec.datatype() + " without rounding (send FP32, or INT8, INT16, UINT8, UINT16, BOOL)");
    }
    float[] values;
    if (in.binarySize() >= 0) {
      if (in.sawData()) {
        throw new BadRequestException("input " + in.name() + " has both \"data\" and binary_data_size");
      }
      values = binaryValues(in, dtype, numel, body, binaryOffset);
    } else {
      if (!in.sawData()) {
        throw new BadRequestException("input " + in.name() + " has no \"data\"");
      }
      if (in.count() != numel) {
        throw new BadRequestException(
            "input " + in.name() + " has " + in.count() + " values, shape " + Arrays.toString(shape)
                + " needs " + numel);
      }
      checkJsonValues(in, dtype);
      values = in.values();
    }
    return HostTensor.ofFloats(shape, values);
  }

  private static void checkJsonValues(InferRequest.Input in, DType dtype) {
    if (in.count() == 0) {
      return;
    }
    if (dtype == DType.BOOL) {
      if (in.sawNumber()) {
        throw new BadRequestException("input " + in.name() + " is BOOL but holds numbers");
      }
      return;
    }
    if (in.sawBool()) {
      throw new BadRequestException("input " + in.name() + " is " + dtype + " but holds booleans");
    }
    if (dtype != DType.FP32) {
      if (!in.allIntegral()) {
        throw new BadRequestException("input " + in.name() + " is " + dtype + " but holds fractions");
      }
      if (in.min() < dtype.min || in.max() > dtype.max) {
        throw new BadRequestException(
            "input " + in.name() + " holds values outside " + dtype + "'s range " + (long) dtype.min
                + ".." + (long) dtype.max);
      }
    }
  }

  private static float[] binaryValues(
      InferRequest.Input in, DType dtype, long numel, byte[] body, int offset) {
    long size = in.binarySize();
    if (size != numel * dtype.bytes) {
      throw new BadRequestException(
          "input " + in.name() + " has binary_data_size " + size + ", its shape and " + dtype
              + " need " + numel * dtype.bytes);
    }
    if (offset + size > body.length) {
      throw new BadRequestException(
          "input " + in.name() + " needs " + size + " bytes of binary data, the body has "
              + (body.length - offset));
    }
    ByteBuffer b = ByteBuffer.wrap(body, offset, (int) size).slice().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[(int) numel];
    switch (dtype) {
      case FP32 -> {
        b.asFloatBuffer().get(out);
        for (float f : out) {
          if (!Float.isFinite(f)) {
            throw new BadRequestException("input " + in.name() + " holds a NaN or an infinity");
          }
        }
      }
      case INT8 -> { for (int i = 0; i < out.length; i++) out[i] = b.get(i); }
      case UINT8 -> { for (int i = 0; i < out.length; i++) out[i] = b.get(i) & 0xFF; }
      case BOOL -> { for (int i = 0; i < out.length; i++) out[i] = b.get(i) == 0 ? 0 : 1; }
      case INT16 -> { for (int i = 0; i < out.length; i++) out[i] = b.getShort(2 * i); }
      case UINT16 -> { for (int i = 0; i < out.length; i++) out[i] = b.getShort(2 * i) & 0xFFFF; }
      default -> throw new AssertionError(dtype);
    }
    return out;
  }

  /** The size in bytes of the binary data that {@code r}'s inputs announce. */
  public static long binaryBytes(InferRequest r) {
    long n = 0;
    for (InferRequest.Input in : r.inputs()) {
      n += Math.max(0, in.binarySize());
    }
    return n;
  }

  /** Whether the response carries the output as binary data. */
  public static boolean binaryOutput(InferRequest r, ServedModel model) {
    boolean binary = r.binaryOutputs();
    for (InferRequest.Output o : r.outputs()) {
      if (!o.name().equals(model.output().name())) {
        throw new BadRequestException(
            "model " + model.name() + " has no output " + o.name() + " (its output is "
                + model.output().name() + ")");
      }
      if (o.binary() != null) {
        binary = o.binary();
      }
    }
    return binary;
  }

  /** The response's JSON part, and its binary part when {@code binary}. */
  public record Encoded(byte[] json, byte[] binary) {}

  /** Encodes the output {@code out} of {@code model} for request {@code id}. */
  public static Encoded response(ServedModel model, String id, HostTensor out, boolean binary) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + (binary ? 0 : out.byteSize() * 3));
    try (JsonGenerator g = InferJson.FACTORY.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeStringField("model_name", model.name());
      g.writeStringField("model_version", model.version());
      if (id != null) {
        g.writeStringField("id", id);
      }
      g.writeArrayFieldStart("outputs");
      g.writeStartObject();
      g.writeStringField("name", model.output().name());
      g.writeStringField("datatype", "FP32");
      g.writeArrayFieldStart("shape");
      for (int d : out.shape()) {
        g.writeNumber(d);
      }
      g.writeEndArray();
      if (binary) {
        g.writeObjectFieldStart("parameters");
        g.writeNumberField("binary_data_size", out.byteSize());
        g.writeEndObject();
      } else {
        g.writeArrayFieldStart("data");
        for (float f : out.toFloats()) {
          g.writeNumber(f);
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Encoded(bytes.toByteArray(), binary ? out.data() : null);
  }

  /** The protocol's datatypes, and which of them become FP32 exactly. */
  enum DType {
    BOOL(1, true, 0, 1),
    UINT8(1, true, 0, 255),
    UINT16(2, true, 0, 65535),
    UINT32(4, false, 0, 0),
    UINT64(8, false, 0, 0),
    INT8(1, true, -128, 127),
    INT16(2, true, -32768, 32767),
    INT32(4, false, 0, 0),
    INT64(8, false, 0, 0),
    FP16(2, false, 0, 0),
    FP32(4, true, -Float.MAX_VALUE, Float.MAX_VALUE),
    FP64(8, false, 0, 0),
    BYTES(0, false, 0, 0);

    final int bytes;
    final boolean convertsToFp32;
    final double min;
    final double max;

    DType(int bytes, boolean convertsToFp32, double min, double max) {
      this.bytes = bytes;
      this.convertsToFp32 = convertsToFp32;
      this.min = min;
      this.max = max;
    }

    static DType of(String name, String input) {
      try {
        return valueOf(name);
      } catch (IllegalArgumentException e) {
        throw new BadRequestException(
            "input " + input + " has unknown datatype " + name + " (" + Arrays.toString(values()) + ")");
      }
    }
  }
}
