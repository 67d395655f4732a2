package io.zbmd.ml.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.MalformedModelFileException;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.AttributeProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.GraphProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.ModelProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.OperatorSetIdProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.TensorProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.TensorShapeProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.ValueInfoProto;
import io.zbmd.ml.tensor.Allocator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model file ({@code torch.onnx.export}'s output) read and checked on the host: its
 * operators, initializers (inline or as external data next to the file) and its one input and
 * output. Everything that can be checked without running is checked here, so a bad file fails
 * before any device work: unsupported operators are listed by name, all of them; truncated or
 * malformed protobuf, missing or out-of-range external data and initializers whose data does not
 * fill their shape are refused with a {@link MalformedModelFileException} naming the file.
 *
 * <pre>{@code
 * OnnxModel model = OnnxModel.read(Path.of("model.onnx"));
 * Module net = stream.submit(ops -> model.build(ops, alloc)).toCompletableFuture().join();
 * }</pre>
 */
public final class OnnxModel {
  /** Opsets whose operator semantics this importer implements. */
  public static final int MIN_OPSET = 7;

  public static final int MAX_OPSET = 18;

  /** Larger files are refused: protobuf cannot address more than 2 GiB. */
  static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  private final String file;
  private final int opset;
  private final List<NodeProto> nodes;
  private final Map<String, HostTensor> initializers;
  private final String input;
  private final int[] inputDims;
  private final String output;
  private final Set<String> constants;

  private OnnxModel(String file, int opset, List<NodeProto> nodes,
      Map<String, HostTensor> initializers, Set<String> constants, String input, int[] inputDims,
      String output) {
    this.constants = constants;
    this.file = file;
    this.opset = opset;
    this.nodes = nodes;
    this.initializers = initializers;
    this.input = input;
    this.inputDims = inputDims;
    this.output = output;
  }

  /**
   * Reads and checks {@code file}.
   *
   * @throws MalformedModelFileException naming the file and the problem
   * @throws IOException if the file cannot be read at all
   */
  public static OnnxModel read(Path file) throws IOException {
    String name = file.toString();
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new MalformedModelFileException(name, "no such file", e);
    }
    if (size > MAX_FILE_BYTES) {
      throw new MalformedModelFileException(name, size + " bytes: larger than protobuf's 2 GiB");
    }
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(Files.readAllBytes(file));
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedModelFileException(name, "not a valid ONNX protobuf: " + e.getMessage(), e);
    }
    return of(proto, name, file.toAbsolutePath().getParent());
  }

  private static OnnxModel of(ModelProto proto, String file, Path dir)
      throws MalformedModelFileException {
    if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
      throw new MalformedModelFileException(file, "no graph (is this an ONNX model?)");
    }
    int opset = -1;
    for (OperatorSetIdProto o : proto.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        opset = (int) Math.min(Integer.MAX_VALUE, o.getVersion());
      }
    }
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new MalformedModelFileException(file, "opset " + opset
          + " of the default domain; supported: " + MIN_OPSET + " to " + MAX_OPSET);
    }
    GraphProto g = proto.getGraph();
    Set<String> unsupported = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")
          || !Nodes.SUPPORTED.contains(n.getOpType())) {
        unsupported.add(n.getDomain().isEmpty() ? n.getOpType() : n.getDomain() + "." + n.getOpType());
      }
    }
    if (!unsupported.isEmpty()) {
      throw new MalformedModelFileException(file, "unsupported operators: "
          + String.join(", ", unsupported) + " (supported: " + String.join(", ", Nodes.SUPPORTED) + ")");
    }
    Map<String, HostTensor> inits = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      inits.put(t.getName(), tensor(t, file, dir, "initializer '" + t.getName() + "'"));
    }
    List<NodeProto> nodes = new ArrayList<>();
    Set<String> constants = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("Identity") && n.getInputCount() == 1 && n.getOutputCount() == 1
          && inits.containsKey(n.getInput(0)) && !inits.containsKey(n.getOutput(0))) {
        // torch.onnx.export stores equal initializers once (bn2.weight = Identity(bn1.weight));
        // a copy under the output's name keeps PyTorch's names and parameters untied.
        inits.put(n.getOutput(0), inits.get(n.getInput(0)));
        if (constants.contains(n.getInput(0))) {
          constants.add(n.getOutput(0));
        }
      } else if (n.getOpType().equals("Constant")) {
        if (n.getOutputCount() != 1) {
          throw new MalformedModelFileException(file, "Constant " + n.getName() + " needs one output");
        }
        if (inits.put(n.getOutput(0), constant(n, file, dir)) != null) {
          throw new MalformedModelFileException(file, "value '" + n.getOutput(0) + "' is produced twice");
        }
        constants.add(n.getOutput(0));
      } else {
        nodes.add(n);
      }
    }
    List<ValueInfoProto> inputs = new ArrayList<>();
    for (ValueInfoProto v : g.getInputList()) {
      if (!inits.containsKey(v.getName())) {
        inputs.add(v);
      }
    }
    if (inputs.size() != 1 || g.getOutputCount() != 1) {
      throw new MalformedModelFileException(file, "the graph has " + inputs.size() + " inputs and "
          + g.getOutputCount() + " outputs; a model here has one of each");
    }
    ValueInfoProto in = inputs.get(0);
    int[] dims = inputDims(in, file);
    // Topological order, as ONNX requires: every value is produced before it is used, so a cycle
    // or a dangling name is refused here rather than found while running.
    Set<String> known = new HashSet<>(inits.keySet());
    known.add(in.getName());
    for (NodeProto n : nodes) {
      for (String i : n.getInputList()) {
        if (!i.isEmpty() && !known.contains(i)) {
          throw new MalformedModelFileException(file, n.getOpType() + " node '" + n.getName()
              + "' uses '" + i + "', which no earlier node or initializer produces");
        }
      }
      for (String o : n.getOutputList()) {
        if (!o.isEmpty() && !known.add(o)) {
          throw new MalformedModelFileException(file, "value '" + o + "' is produced twice");
        }
      }
      Nodes.check(n, opset, file);
    }
    String out = g.getOutput(0).getName();
    if (!known.contains(out)) {
      throw new MalformedModelFileException(file, "graph output '" + out + "' is never produced");
    }
    return new OnnxModel(file, opset, List.copyOf(nodes), inits, Set.copyOf(constants),
        in.getName(), dims, out);
  }

  private static int[] inputDims(ValueInfoProto in, String file) throws MalformedModelFileException {
    if (!in.getType().hasTensorType() || !in.getType().getTensorType().hasShape()) {
      return null;
    }
    if (in.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new MalformedModelFileException(file, "input '" + in.getName() + "' is not float32");
    }
    List<TensorShapeProto.Dimension> ds = in.getType().getTensorType().getShape().getDimList();
    int[] dims = new int[ds.size()];
    for (int i = 0; i < dims.length; i++) {
      long v = ds.get(i).hasDimValue() ? ds.get(i).getDimValue() : -1;
      if (v > Integer.MAX_VALUE || v == 0 || v < -1) {
        throw new MalformedModelFileException(file, "input '" + in.getName() + "' dimension " + i
            + " is " + v);
      }
      dims[i] = (int) v; // -1: dynamic (the batch)
    }
    return dims;
  }

  private static HostTensor constant(NodeProto n, String file, Path dir)
      throws MalformedModelFileException {
    for (AttributeProto a : n.getAttributeList()) {
      switch (a.getName()) {
        case "value":
          return tensor(a.getT(), file, dir, "Constant '" + n.getOutput(0) + "'");
        case "value_float":
          return HostTensor.ofFloats(new int[0], new float[] {a.getF()});
        case "value_floats":
          return HostTensor.ofFloats(new int[] {a.getFloatsCount()}, toArray(a.getFloatsList()));
        case "value_int":
          return HostTensor.ofLongs(new int[0], new long[] {a.getI()});
        case "value_ints":
          return HostTensor.ofLongs(new int[] {a.getIntsCount()},
              a.getIntsList().stream().mapToLong(Long::longValue).toArray());
        default:
          break;
      }
    }
    throw new MalformedModelFileException(file, "Constant '" + n.getOutput(0) + "' has no value");
  }

  private static float[] toArray(List<Float> fs) {
    float[] v = new float[fs.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = fs.get(i);
    }
    return v;
  }

  /** A tensor's values, from its fields, raw bytes or external file; checked against its shape. */
  static HostTensor tensor(TensorProto t, String file, Path dir, String what)
      throws MalformedModelFileException {
    int[] shape = new int[t.getDimsCount()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      long d = t.getDims(i);
      if (d <= 0 || d > Integer.MAX_VALUE) {
        throw new MalformedModelFileException(file, what + " has dimension " + d);
      }
      shape[i] = (int) d;
      numel *= d;
      if (numel > Integer.MAX_VALUE / 8) {
        throw new MalformedModelFileException(file, what + " has absurd dimensions " + t.getDimsList());
      }
    }
    int type = t.getDataType();
    int width;
    if (type == TensorProto.DataType.FLOAT_VALUE || type == TensorProto.DataType.INT32_VALUE) {
      width = 4;
    } else if (type == TensorProto.DataType.INT64_VALUE) {
      width = 8;
    } else {
      throw new MalformedModelFileException(file, what + " has data type "
          + TensorProto.DataType.forNumber(type) + "; supported: FLOAT, INT32, INT64");
    }
    int n = (int) numel;
    ByteBuffer raw = null;
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      raw = external(t, file, dir, what, (long) n * width);
    } else if (t.hasRawData()) {
      if (t.getRawData().size() != (long) n * width) {
        throw new MalformedModelFileException(file, what + " holds " + t.getRawData().size()
            + " bytes; its shape " + t.getDimsList() + " needs " + (long) n * width);
      }
      raw = t.getRawData().asReadOnlyByteBuffer();
    }
    if (raw != null) {
      raw.order(ByteOrder.LITTLE_ENDIAN);
    }
    if (type == TensorProto.DataType.FLOAT_VALUE) {
      float[] v = new float[n];
      if (raw != null) {
        raw.asFloatBuffer().get(v);
      } else {
        requireCount(t.getFloatDataCount(), n, file, what);
        for (int i = 0; i < n; i++) {
          v[i] = t.getFloatData(i);
        }
      }
      return HostTensor.ofFloats(shape, v);
    }
    long[] v = new long[n];
    if (raw != null) {
      for (int i = 0; i < n; i++) {
        v[i] = width == 8 ? raw.getLong() : raw.getInt();
      }
    } else if (width == 8) {
      requireCount(t.getInt64DataCount(), n, file, what);
      for (int i = 0; i < n; i++) {
        v[i] = t.getInt64Data(i);
      }
    } else {
      requireCount(t.getInt32DataCount(), n, file, what);
      for (int i = 0; i < n; i++) {
        v[i] = t.getInt32Data(i);
      }
    }
    return HostTensor.ofLongs(shape, v);
  }

  private static void requireCount(int count, int n, String file, String what)
      throws MalformedModelFileException {
    if (count != n) {
      throw new MalformedModelFileException(file, what + " holds " + count
          + " values; its shape needs " + n);
    }
  }

  private static ByteBuffer external(TensorProto t, String file, Path dir, String what, long bytes)
      throws MalformedModelFileException {
    String location = null;
    long offset = 0;
    long length = -1;
    for (var e : t.getExternalDataList()) {
      try {
        switch (e.getKey()) {
          case "location" -> location = e.getValue();
          case "offset" -> offset = Long.parseLong(e.getValue());
          case "length" -> length = Long.parseLong(e.getValue());
          default -> { }
        }
      } catch (NumberFormatException x) {
        throw new MalformedModelFileException(file, what + ": external data " + e.getKey()
            + " is '" + e.getValue() + "'", x);
      }
    }
    if (location == null || location.isEmpty()) {
      throw new MalformedModelFileException(file, what + " is external but names no location");
    }
    Path data = dir.resolve(location).normalize();
    if (!data.startsWith(dir) || Path.of(location).isAbsolute()) {
      throw new MalformedModelFileException(file, what + ": external data '" + location
          + "' lies outside the model's directory");
    }
    if (length >= 0 && length != bytes) {
      throw new MalformedModelFileException(file, what + ": external length " + length
          + " does not match its shape (" + bytes + " bytes)");
    }
    try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "r")) {
      if (offset < 0 || offset > f.length() || f.length() - offset < bytes) {
        throw new MalformedModelFileException(file, what + ": external data " + location
            + " bytes " + offset + ".." + (offset + bytes) + " lie outside its " + f.length()
            + " bytes");
      }
      byte[] b = new byte[(int) bytes];
      f.seek(offset);
      f.readFully(b);
      return ByteBuffer.wrap(b);
    } catch (MalformedModelFileException e) {
      throw e;
    } catch (IOException e) {
      throw new MalformedModelFileException(file, what + ": external data " + location
          + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Builds the executable graph on the device of {@code ops}: float initializers become parameters
   * named as in the file (PyTorch's state dict names for {@code torch.onnx.export}), except
   * batch-norm running statistics, which are buffers.
   */
  public OnnxGraph build(Ops ops, Allocator alloc) {
    return new OnnxGraph(this, ops, alloc);
  }

  /** The file it was read from, for messages. */
  public String file() {
    return file;
  }

  /** The default-domain opset it was exported with. */
  public int opset() {
    return opset;
  }

  /** The operator of every node, in order (Constants folded into initializers). */
  public List<String> operators() {
    return nodes.stream().map(NodeProto::getOpType).toList();
  }

  /** The input's dimensions, -1 where dynamic (the batch), or null if the file gives none. */
  public int[] inputDims() {
    return inputDims == null ? null : inputDims.clone();
  }

  List<NodeProto> nodes() {
    return nodes;
  }

  Map<String, HostTensor> initializers() {
    return initializers;
  }

  /** Values of Constant nodes: not parameters, whatever their type. */
  Set<String> constants() {
    return constants;
  }

  String input() {
    return input;
  }

  String output() {
    return output;
  }
}
