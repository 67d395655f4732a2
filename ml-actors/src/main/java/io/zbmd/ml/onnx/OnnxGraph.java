package io.zbmd.ml.onnx;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.io.HostDType;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An imported ONNX graph as a {@link Module}: nodes run in the file's (topological) order, so a DAG
 * with fan-out and residual adds runs as a chain does. In evaluation an intermediate tensor is
 * released as soon as its last consumer has run; in training they live until the backward pass,
 * which walks the nodes in reverse and adds gradients where a value fans out.
 *
 * <p>Float initializers are parameters named as in the file ({@code fc1.weight}, PyTorch's state
 * dict names for {@code torch.onnx.export}), so weights load, train and export by name; batch-norm
 * running statistics and Constant values are buffers ({@link #buffers()}), as in PyTorch.
 */
public final class OnnxGraph implements Module {
  private final OnnxModel model;
  private final Allocator alloc;
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Parameter> parameters;
  private final Map<String, Tensor> buffers;
  private final Map<String, Value> fixed = new HashMap<>();
  private final Map<String, Integer> uses = new HashMap<>();
  // This pass's values (the input's view, node outputs), released by the next pass or close().
  private final List<Tensor> owned = new ArrayList<>();
  private Tensor inputGradient;
  private boolean trainedPass;
  private boolean forwarded;
  private boolean closed;

  OnnxGraph(OnnxModel model, Ops ops, Allocator alloc) {
    this.model = model;
    this.alloc = alloc;
    Set<String> stats = new HashSet<>(model.constants());
    for (NodeProto n : model.nodes()) {
      if (n.getOpType().equals("BatchNormalization")) {
        stats.add(n.getInput(3));
        stats.add(n.getInput(4));
      }
    }
    Map<String, Parameter> params = new LinkedHashMap<>();
    Map<String, Tensor> bufs = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, HostTensor> e : model.initializers().entrySet()) {
        HostTensor h = e.getValue();
        if (h.dtype() != HostDType.F32) {
          fixed.put(e.getKey(), Value.ints(h.toLongs(), h.shape()));
        } else if (stats.contains(e.getKey())) {
          Tensor t = Tensor.of(ops, alloc, e.getKey(), h.toFloats(), h.shape());
          bufs.put(e.getKey(), t);
          fixed.put(e.getKey(), Value.of(t));
        } else {
          Parameter p = Parameter.of(ops, alloc, e.getKey(), h.toFloats(), h.shape());
          params.put(e.getKey(), p);
          fixed.put(e.getKey(), Value.of(p.value()));
        }
      }
    } catch (RuntimeException e) {
      params.values().forEach(Parameter::release);
      bufs.values().forEach(Tensor::release);
      throw e;
    }
    this.parameters = Collections.unmodifiableMap(params);
    this.buffers = Collections.unmodifiableMap(bufs);
    for (NodeProto n : model.nodes()) {
      nodes.add(Nodes.create(n, model.opset()));
      for (String i : n.getInputList()) {
        uses.merge(i, 1, Integer::sum);
      }
    }
    uses.merge(model.output(), 1, Integer::sum);
  }

  @Override
  public Tensor forward(Ops ops, Tensor input, boolean training) {
    checkOpen();
    releasePass();
    checkInput(input);
    Run run = new Run(ops, alloc, training);
    Map<String, Value> values = new HashMap<>(fixed);
    Map<String, Integer> left = new HashMap<>(uses);
    Tensor in = input.view(input.shape());
    owned.add(in);
    values.put(model.input(), Value.of(in));
    Set<Tensor> own = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    own.add(in);
    for (Node node : nodes) {
      NodeProto d = node.def;
      Value[] args = new Value[d.getInputCount()];
      for (int i = 0; i < args.length; i++) {
        args[i] = d.getInput(i).isEmpty() ? null : values.get(d.getInput(i));
      }
      Value out = node.forward(run, args);
      values.put(d.getOutput(0), out);
      if (!out.onHost()) {
        owned.add(out.tensor());
        own.add(out.tensor());
      }
      if (!training) {
        node.clear();
        for (String i : d.getInputList()) {
          if (!i.isEmpty() && left.merge(i, -1, Integer::sum) == 0) {
            Value v = values.remove(i);
            if (v != null && !v.onHost() && own.remove(v.tensor())) {
              owned.remove(v.tensor());
              v.tensor().release(); // its last consumer has run
            }
          }
        }
      }
    }
    Value out = values.get(model.output());
    if (out == null || out.onHost()) {
      throw new IllegalArgumentException(model.file() + ": output '" + model.output()
          + "' is not a float tensor computed from the input");
    }
    trainedPass = training;
    forwarded = true;
    return out.tensor();
  }

  private void checkInput(Tensor x) {
    int[] dims = model.inputDims();
    boolean ok = dims == null || dims.length == x.rank();
    for (int i = 0; ok && i < dims.length; i++) {
      ok = dims[i] < 0 || dims[i] == x.dim(i);
    }
    if (!ok) {
      throw new IllegalArgumentException(model.file() + ": expected input of shape "
          + java.util.Arrays.toString(dims).replace("-1", "*") + ", got "
          + Tensor.shapeString(x.shape()));
    }
  }

  @Override
  public Tensor backward(Ops ops, Tensor gradOutput, boolean inputGrad) {
    checkOpen();
    if (!forwarded || !trainedPass) {
      throw new IllegalStateException(model.file() + ": backward needs a training forward pass");
    }
    if (inputGradient != null) {
      inputGradient.release();
      inputGradient = null;
    }
    Run run = new Run(ops, alloc, true);
    Set<String> requires = new HashSet<>(parameters.keySet());
    if (inputGrad) {
      requires.add(model.input());
    }
    for (Node n : nodes) {
      if (n.differentiable() && n.def.getInputList().stream().anyMatch(requires::contains)) {
        requires.add(n.def.getOutput(0));
      }
    }
    Map<String, Tensor> grads = new HashMap<>();
    grads.put(model.output(), gradOutput.view(gradOutput.shape()));
    try {
      for (int k = nodes.size() - 1; k >= 0; k--) {
        Node node = nodes.get(k);
        Tensor dy = grads.remove(node.def.getOutput(0));
        if (dy == null) {
          continue;
        }
        boolean[] need = new boolean[node.def.getInputCount()];
        for (int i = 0; i < need.length; i++) {
          need[i] = requires.contains(node.def.getInput(i));
        }
        Tensor[] g;
        try {
          g = node.backward(run, dy, need);
        } finally {
          dy.release();
        }
        for (int i = 0; i < g.length; i++) {
          if (g[i] != null) {
            accumulate(ops, node.def.getInput(i), g[i], need[i], grads);
          }
        }
      }
      Tensor dx = grads.remove(model.input());
      if (inputGrad) {
        inputGradient = dx;
        return dx;
      }
      if (dx != null) {
        dx.release();
      }
      return null;
    } finally {
      grads.values().forEach(Tensor::release);
    }
  }

  private void accumulate(Ops ops, String name, Tensor g, boolean needed, Map<String, Tensor> grads) {
    Parameter p = parameters.get(name);
    if (!needed || buffers.containsKey(name)) {
      g.release();
    } else if (p != null) {
      ops.binary(BinaryOp.ADD, p.grad().buffer(), g.buffer(), p.grad().buffer(), 1,
          Run.toInt(name, g.numel()), Broadcast.NONE);
      g.release();
    } else if (grads.containsKey(name)) {
      // A value that fans out: the sum into a fresh tensor (either part may be a view of another).
      Tensor prev = grads.get(name);
      Tensor sum = Tensor.allocate(alloc, name + ".grad", g.dtype(), g.shape());
      ops.binary(BinaryOp.ADD, prev.buffer(), g.buffer(), sum.buffer(), 1,
          Run.toInt(name, g.numel()), Broadcast.NONE);
      prev.release();
      g.release();
      grads.put(name, sum);
    } else {
      grads.put(name, g);
    }
  }

  @Override
  public Map<String, Parameter> parameters() {
    return parameters;
  }

  /** Float initializers that are not learned: batch-norm running statistics, Constant values. */
  public Map<String, Tensor> buffers() {
    return buffers;
  }

  /**
   * Every float tensor of the model by name, parameters then buffers: what a PyTorch state dict
   * holds, to export as {@code .safetensors}.
   */
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> all = new LinkedHashMap<>();
    parameters.forEach((k, v) -> all.put(k, v.value()));
    buffers.forEach((k, v) -> {
      if (!model.constants().contains(k)) {
        all.put(k, v);
      }
    });
    return all;
  }

  /** The model it was built from. */
  public OnnxModel model() {
    return model;
  }

  private void releasePass() {
    for (Node n : nodes) {
      n.clear();
    }
    for (Tensor t : owned) {
      t.release();
    }
    owned.clear();
    forwarded = false;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    releasePass();
    if (inputGradient != null) {
      inputGradient.release();
    }
    parameters.values().forEach(Parameter::release);
    buffers.values().forEach(Tensor::release);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(model.file() + " graph is closed");
    }
  }

  @Override
  public String toString() {
    return "OnnxGraph(" + model.file() + ", " + nodes.size() + " nodes, opset " + model.opset() + ")";
  }
}
