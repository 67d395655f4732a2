package io.zbmd.ml.optim;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the optimizers share: the parameters, per-parameter state buffers of the parameter's shape
 * (allocated and zeroed at the first step, as PyTorch creates its state lazily), the step count,
 * and the export and import of all of it.
 */
abstract class BufferedOptimizer implements Optimizer {
  private final String kind;
  private final Allocator alloc;
  private final Map<String, Parameter> parameters;
  private final List<String> bufferNames;
  private final Map<String, Tensor[]> buffers = new LinkedHashMap<>();
  private long steps;
  private boolean closed;

  /**
   * @param kind the optimizer's name in its state ({@code SGD})
   * @param bufferNames the state buffers each parameter gets, PyTorch's names
   */
  BufferedOptimizer(
      String kind, Allocator alloc, Map<String, Parameter> parameters, List<String> bufferNames) {
    this.kind = kind;
    this.alloc = Objects.requireNonNull(alloc, "alloc");
    this.parameters =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(Objects.requireNonNull(parameters, "parameters")));
    this.bufferNames = List.copyOf(bufferNames);
  }

  /**
   * Updates {@code p} with its buffers (in {@code bufferNames} order); {@code step} counts from 1.
   */
  abstract void update(Ops ops, Parameter p, Tensor[] state, long step);

  @Override
  public final Map<String, Parameter> parameters() {
    return parameters;
  }

  @Override
  public final long steps() {
    return steps;
  }

  @Override
  public final void step(Ops ops) {
    checkOpen();
    ensureBuffers(ops);
    steps++;
    for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
      update(ops, e.getValue(), buffers.get(e.getKey()), steps);
    }
  }

  @Override
  public final OptimizerState state(Ops ops) {
    checkOpen();
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor[]> e : buffers.entrySet()) {
      for (int i = 0; i < bufferNames.size(); i++) {
        out.put(OptimizerState.key(e.getKey(), bufferNames.get(i)), e.getValue()[i].toHost(ops));
      }
    }
    return new OptimizerState(kind, steps, out);
  }

  @Override
  public final void loadState(Ops ops, OptimizerState state) {
    checkOpen();
    if (!kind.equals(state.optimizer())) {
      throw new IllegalArgumentException(
          "cannot load " + state.optimizer() + " state into " + kind);
    }
    if (state.buffers().isEmpty() && (bufferNames.isEmpty() || state.step() == 0)) {
      // No buffers: none kept (SGD without momentum) or none yet (before the first step).
      releaseBuffers();
      steps = state.step();
      return;
    }
    Set<String> expected = new LinkedHashSet<>();
    for (String p : parameters.keySet()) {
      for (String b : bufferNames) {
        expected.add(OptimizerState.key(p, b));
      }
    }
    for (String key : expected) {
      if (!state.buffers().containsKey(key)) {
        throw new IllegalArgumentException(
            kind + " state lacks " + key + "; it has " + state.buffers().keySet());
      }
    }
    List<String> unexpected = new ArrayList<>(state.buffers().keySet());
    unexpected.removeAll(expected);
    if (!unexpected.isEmpty()) {
      throw new IllegalArgumentException(
          kind
              + " state has buffers for no parameter of this"
              + " optimizer: "
              + unexpected
              + "; parameters: "
              + parameters.keySet());
    }
    for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
      for (String b : bufferNames) {
        String key = OptimizerState.key(e.getKey(), b);
        int length = state.buffers().get(key).length;
        if (length != e.getValue().numel()) {
          throw new IllegalArgumentException(
              kind
                  + " state "
                  + key
                  + " has "
                  + length
                  + " values; the parameter "
                  + Tensor.shapeString(e.getValue().shape())
                  + " has "
                  + e.getValue().numel());
        }
      }
    }
    ensureBuffers(ops);
    for (Map.Entry<String, Tensor[]> e : buffers.entrySet()) {
      for (int i = 0; i < bufferNames.size(); i++) {
        e.getValue()[i].fromHost(
            ops, state.buffers().get(OptimizerState.key(e.getKey(), bufferNames.get(i))));
      }
    }
    steps = state.step();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    releaseBuffers();
  }

  /** A value for the float arguments of the SPI's ops. */
  static float f(double v) {
    return (float) v;
  }

  final Allocator allocator() {
    return alloc;
  }

  final void checkOpen() {
    if (closed) {
      throw new IllegalStateException(kind + " optimizer is closed");
    }
  }

  private void ensureBuffers(Ops ops) {
    if (bufferNames.isEmpty() || !buffers.isEmpty()) {
      return;
    }
    try {
      for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
        Tensor[] state = new Tensor[bufferNames.size()];
        buffers.put(e.getKey(), state);
        for (int i = 0; i < state.length; i++) {
          state[i] =
              Tensor.zeros(
                  ops,
                  alloc,
                  kind + " " + e.getKey() + "." + bufferNames.get(i),
                  e.getValue().shape());
        }
      }
    } catch (RuntimeException failed) {
      releaseBuffers();
      throw failed;
    }
  }

  private void releaseBuffers() {
    for (Tensor[] state : buffers.values()) {
      for (Tensor t : state) {
        if (t != null) {
          t.release();
        }
      }
    }
    buffers.clear();
  }

  @Override
  public String toString() {
    return kind + " over " + parameters.keySet();
  }
}
