package io.zbmd.ml.onnx;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.ml.io.MalformedModelFileException;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The operators this importer runs, their arities, and the node for each. */
final class Nodes {
  private Nodes() {}

  // {min inputs, max inputs}
  private static final Map<String, int[]> ARITY = Map.ofEntries(
      Map.entry("Gemm", new int[] {2, 3}), Map.entry("MatMul", new int[] {2, 2}),
      Map.entry("Add", new int[] {2, 2}), Map.entry("Sub", new int[] {2, 2}),
      Map.entry("Mul", new int[] {2, 2}), Map.entry("Div", new int[] {2, 2}),
      Map.entry("Relu", new int[] {1, 1}), Map.entry("LeakyRelu", new int[] {1, 1}),
      Map.entry("Sigmoid", new int[] {1, 1}), Map.entry("Tanh", new int[] {1, 1}),
      Map.entry("Softmax", new int[] {1, 1}), Map.entry("LogSoftmax", new int[] {1, 1}),
      Map.entry("Conv", new int[] {2, 3}), Map.entry("MaxPool", new int[] {1, 1}),
      Map.entry("AveragePool", new int[] {1, 1}), Map.entry("GlobalAveragePool", new int[] {1, 1}),
      Map.entry("BatchNormalization", new int[] {5, 5}), Map.entry("Flatten", new int[] {1, 1}),
      Map.entry("Reshape", new int[] {1, 2}), Map.entry("Transpose", new int[] {1, 1}),
      Map.entry("Concat", new int[] {1, Integer.MAX_VALUE}), Map.entry("Identity", new int[] {1, 1}),
      Map.entry("Dropout", new int[] {1, 3}), Map.entry("Constant", new int[] {0, 0}),
      Map.entry("Shape", new int[] {1, 1}), Map.entry("Gather", new int[] {2, 2}),
      Map.entry("Unsqueeze", new int[] {1, 2}), Map.entry("Squeeze", new int[] {1, 2}),
      Map.entry("Cast", new int[] {1, 1}));

  /** The operator names, sorted. */
  static final Set<String> SUPPORTED = new TreeSet<>(ARITY.keySet());

  /** Checks what can be checked of {@code n} before running: its arity and outputs. */
  static void check(NodeProto n, int opset, String file) throws MalformedModelFileException {
    int[] a = ARITY.get(n.getOpType());
    String what = n.getOpType() + " node '" + n.getName() + "'";
    if (n.getInputCount() < a[0] || n.getInputCount() > a[1]) {
      throw new MalformedModelFileException(file, what + " has " + n.getInputCount()
          + " inputs; it takes " + a[0] + (a[1] == a[0] ? "" : " to " + (a[1] == Integer.MAX_VALUE ? "any" : a[1])));
    }
    if (n.getOutputCount() < 1 || n.getOutput(0).isEmpty()) {
      throw new MalformedModelFileException(file, what + " has no output");
    }
    for (int i = 1; i < n.getOutputCount(); i++) {
      if (!n.getOutput(i).isEmpty()) {
        throw new MalformedModelFileException(file, what + " has a second output '"
            + n.getOutput(i) + "' (a mask or indices), which is not supported");
      }
    }
    for (int i = 0; i < n.getInputCount(); i++) {
      if (n.getInput(i).isEmpty() && i < a[0]) {
        throw new MalformedModelFileException(file, what + " lacks its input " + i);
      }
    }
  }

  static Node create(NodeProto n, int opset) {
    return switch (n.getOpType()) {
      case "Gemm" -> new Matrix.Gemm(n, opset);
      case "MatMul" -> new Matrix.MatMul(n, opset);
      case "Add" -> new Elementwise.Binary(n, opset, BinaryOp.ADD);
      case "Sub" -> new Elementwise.Binary(n, opset, BinaryOp.SUB);
      case "Mul" -> new Elementwise.Binary(n, opset, BinaryOp.MUL);
      case "Div" -> new Elementwise.Binary(n, opset, BinaryOp.DIV);
      case "Relu", "LeakyRelu", "Sigmoid", "Tanh" -> new Elementwise.Activation(n, opset);
      case "Softmax", "LogSoftmax" -> new Elementwise.Softmax(n, opset);
      case "Conv" -> new Spatial.Conv(n, opset);
      case "MaxPool" -> new Spatial.MaxPool(n, opset);
      case "AveragePool" -> new Spatial.AveragePool(n, opset);
      case "GlobalAveragePool" -> new Spatial.GlobalAveragePool(n, opset);
      case "BatchNormalization" -> new Spatial.BatchNorm(n, opset);
      case "Flatten" -> new Shaping.Flatten(n, opset);
      case "Reshape" -> new Shaping.Reshape(n, opset);
      case "Transpose" -> new Shaping.Transpose(n, opset);
      case "Concat" -> new Shaping.Concat(n, opset);
      case "Identity", "Dropout" -> new Shaping.Identity(n, opset);
      case "Shape" -> new Shaping.Shape(n, opset);
      case "Gather" -> new Shaping.Gather(n, opset);
      case "Unsqueeze", "Squeeze" -> new Shaping.Unsqueeze(n, opset);
      case "Cast" -> new Shaping.Cast(n, opset);
      default -> throw new IllegalArgumentException("unsupported operator " + n.getOpType());
    };
  }
}
