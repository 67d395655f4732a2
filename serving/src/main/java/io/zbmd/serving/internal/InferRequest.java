package io.zbmd.serving.internal;

import java.util.List;

/**
 * A parsed infer request, before it is checked against a model.
 *
 * @param id the request id to echo, or null
 * @param timeoutMicros the "timeout" parameter, or -1
 * @param binaryOutputs the "binary_data_output" parameter
 * @param inputs the inputs, in order
 * @param outputs the requested outputs; empty: all
 */
public record InferRequest(
    String id,
    long timeoutMicros,
    boolean binaryOutputs,
    List<Input> inputs,
    List<Output> outputs) {

  /**
   * One input: its values as floats, with what the parser saw of them so that the model's
   * datatype can be checked afterwards (JSON keys come in any order).
   *
   * @param binarySize the "binary_data_size" parameter, or -1 for JSON data
   */
  public record Input(
      String name,
      int[] shape,
      String datatype,
      float[] values,
      int count,
      boolean sawData,
      boolean allIntegral,
      boolean sawBool,
      boolean sawNumber,
      double min,
      double max,
      long binarySize) {}

  /** One requested output; {@code binary} from its "binary_data" parameter. */
  public record Output(String name, Boolean binary) {}
}
