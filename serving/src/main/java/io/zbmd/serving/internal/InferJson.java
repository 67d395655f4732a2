package io.zbmd.serving.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses an infer request's JSON with Jackson's streaming parser: tensor data go straight into a
 * float array (no tree of millions of nodes), nesting is capped, and numbers are bounded in
 * length, so no body within the size limit can exhaust the heap or the stack.
 */
public final class InferJson {
  static final int MAX_DEPTH = 64;

  public static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxNumberLength(64)
                  .maxStringLength(1 << 20)
                  .build())
          .build();

  private InferJson() {}

  /** The request in {@code json[0, length)}. */
  public static InferRequest parse(byte[] json, int length) {
    try (JsonParser p = FACTORY.createParser(json, 0, length)) {
      InferRequest r = request(p);
      if (p.nextToken() != null) {
        throw new BadRequestException("unexpected content after the request object");
      }
      return r;
    } catch (StreamConstraintsException e) {
      throw new BadRequestException("request JSON exceeds a limit: " + firstLine(e));
    } catch (IOException e) {
      throw new BadRequestException("malformed JSON: " + firstLine(e));
    }
  }

  private static InferRequest request(JsonParser p) throws IOException {
    expect(p.nextToken(), JsonToken.START_OBJECT, "the request");
    String id = null;
    long timeout = -1;
    boolean binaryOutputs = false;
    List<InferRequest.Input> inputs = null;
    List<InferRequest.Output> outputs = List.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "id" -> id = string(p, t, "id");
        case "parameters" -> {
          expect(t, JsonToken.START_OBJECT, "parameters");
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
              case "timeout" -> {
                if (v != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0) {
                  throw new BadRequestException("parameter timeout must be a whole number of microseconds >= 0");
                }
                timeout = p.getLongValue();
              }
              case "binary_data_output" -> binaryOutputs = bool(p, v, "binary_data_output");
              default -> p.skipChildren();
            }
          }
        }
        case "inputs" -> {
          expect(t, JsonToken.START_ARRAY, "inputs");
          inputs = new ArrayList<>();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            inputs.add(input(p));
          }
        }
        case "outputs" -> {
          expect(t, JsonToken.START_ARRAY, "outputs");
          List<InferRequest.Output> out = new ArrayList<>();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            out.add(output(p));
          }
          outputs = out;
        }
        default -> p.skipChildren();
      }
    }
    if (inputs == null) {
      throw new BadRequestException("the request has no \"inputs\"");
    }
    return new InferRequest(id, timeout, binaryOutputs, inputs, outputs);
  }

  private static InferRequest.Input input(JsonParser p) throws IOException {
    expect(p.currentToken(), JsonToken.START_OBJECT, "an input");
    String name = null;
    int[] shape = null;
    String datatype = null;
    long binarySize = -1;
    Values values = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "name" -> name = string(p, t, "input name");
        case "datatype" -> datatype = string(p, t, "datatype");
        case "shape" -> shape = shape(p, t);
        case "data" -> {
          values = new Values();
          values.read(p, t);
        }
        case "parameters" -> {
          expect(t, JsonToken.START_OBJECT, "input parameters");
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String param = p.currentName();
            JsonToken v = p.nextToken();
            if (param.equals("binary_data_size")) {
              if (v != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0) {
                throw new BadRequestException("binary_data_size must be a whole number >= 0");
              }
              binarySize = p.getLongValue();
            } else {
              p.skipChildren();
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    if (name == null) {
      throw new BadRequestException("an input has no \"name\"");
    }
    if (shape == null) {
      throw new BadRequestException("input " + name + " has no \"shape\"");
    }
    if (datatype == null) {
      throw new BadRequestException("input " + name + " has no \"datatype\"");
    }
    if (values == null) {
      values = new Values();
    }
    return new InferRequest.Input(
        name, shape, datatype, Arrays.copyOf(values.data, values.count), values.count,
        values.seen, values.allIntegral, values.sawBool, values.sawNumber, values.min, values.max,
        binarySize);
  }

  private static InferRequest.Output output(JsonParser p) throws IOException {
    expect(p.currentToken(), JsonToken.START_OBJECT, "an output");
    String name = null;
    Boolean binary = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      if (field.equals("name")) {
        name = string(p, t, "output name");
      } else if (field.equals("parameters")) {
        expect(t, JsonToken.START_OBJECT, "output parameters");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String param = p.currentName();
          JsonToken v = p.nextToken();
          if (param.equals("binary_data")) {
            binary = bool(p, v, "binary_data");
          } else {
            p.skipChildren();
          }
        }
      } else {
        p.skipChildren();
      }
    }
    if (name == null) {
      throw new BadRequestException("an output has no \"name\"");
    }
    return new InferRequest.Output(name, binary);
  }

  private static int[] shape(JsonParser p, JsonToken t) throws IOException {
    expect(t, JsonToken.START_ARRAY, "shape");
    int[] dims = new int[8];
    int n = 0;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.VALUE_NUMBER_INT) {
        throw new BadRequestException("shape must hold whole numbers, found " + t.asString());
      }
      long d = p.getLongValue();
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new BadRequestException("shape dimension " + p.getText() + " is out of range");
      }
      if (n == MAX_DEPTH) {
        throw new BadRequestException("shape has more than " + MAX_DEPTH + " dimensions");
      }
      if (n == dims.length) {
        dims = Arrays.copyOf(dims, n * 2);
      }
      dims[n++] = (int) d;
    }
    return Arrays.copyOf(dims, n);
  }

  /** Tensor data, flat or nested, flattened in row-major order. */
  private static final class Values {
    float[] data = new float[1024];
    int count;
    boolean seen;
    boolean allIntegral = true;
    boolean sawBool;
    boolean sawNumber;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;

    void read(JsonParser p, JsonToken t) throws IOException {
      seen = true;
      if (t != JsonToken.START_ARRAY) {
        add(p, t);
        return;
      }
      int depth = 1;
      while (depth > 0) {
        t = p.nextToken();
        if (t == null) {
          throw new BadRequestException("data ends before its array closes");
        } else if (t == JsonToken.START_ARRAY) {
          depth++;
        } else if (t == JsonToken.END_ARRAY) {
          depth--;
        } else {
          add(p, t);
        }
      }
    }

    private void add(JsonParser p, JsonToken t) throws IOException {
      double v;
      switch (t) {
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
          v = p.getDoubleValue();
          if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
            throw new BadRequestException("data value " + p.getText() + " is out of range");
          }
          sawNumber = true;
          if (t == JsonToken.VALUE_NUMBER_FLOAT && v != Math.rint(v)) {
            allIntegral = false;
          }
        }
        case VALUE_TRUE, VALUE_FALSE -> {
          v = t == JsonToken.VALUE_TRUE ? 1 : 0;
          sawBool = true;
        }
        default -> throw new BadRequestException(
            "data must hold numbers (or booleans for BOOL), found " + describe(t));
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      if (count == data.length) {
        data = Arrays.copyOf(data, count * 2);
      }
      data[count++] = (float) v;
    }
  }

  private static String describe(JsonToken t) {
    if (t == null) {
      return "the end of the body";
    }
    return switch (t) {
      case VALUE_STRING -> "a string";
      case START_OBJECT -> "an object";
      case VALUE_NULL -> "null";
      default -> String.valueOf(t.asString());
    };
  }

  private static String string(JsonParser p, JsonToken t, String what) throws IOException {
    if (t != JsonToken.VALUE_STRING) {
      throw new BadRequestException(what + " must be a string, found " + describe(t));
    }
    return p.getText();
  }

  private static boolean bool(JsonParser p, JsonToken t, String what) {
    if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
      throw new BadRequestException(what + " must be true or false, found " + describe(t));
    }
    return t == JsonToken.VALUE_TRUE;
  }

  private static void expect(JsonToken t, JsonToken wanted, String what) {
    if (t != wanted) {
      throw new BadRequestException(
          what + " must be " + (wanted == JsonToken.START_OBJECT ? "an object" : "an array")
              + ", found " + (t == null ? "the end of the body" : describe(t)));
    }
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
