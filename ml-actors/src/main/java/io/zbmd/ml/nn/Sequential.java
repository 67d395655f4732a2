package io.zbmd.ml.nn;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Named child modules run in order, PyTorch's {@code nn.Sequential}: parameter names are the
 * child's name, a dot and the child's parameter name, so that a model built here has the state dict
 * keys of the PyTorch model it mirrors ({@code fc1.weight}, {@code conv1.bias}; {@code 0.weight}
 * for {@link #of} children, as an unnamed {@code nn.Sequential}).
 *
 * <pre>{@code
 * SplittableRandom rng = new SplittableRandom(seed);
 * Sequential mlp = Sequential.builder()
 *     .add("fc1", new Linear(ops, alloc, 784, 128, rng))
 *     .add("relu", new ReLU(alloc))
 *     .add("fc2", new Linear(ops, alloc, 128, 10, rng))
 *     .build();
 * mlp.parameters().keySet();   // [fc1.weight, fc1.bias, fc2.weight, fc2.bias]
 * }</pre>
 *
 * <p>A shape error in a child is rethrown with the child's name in front ({@code fc1:
 * Linear(in_features=784, ...): expected input of shape [*, 784], got [64, 100]}). Closing the
 * sequential closes its children.
 */
public final class Sequential implements Module {
  private final Map<String, Module> children;
  private final List<String> names;
  private final List<Module> modules;
  // paramsBefore[i]: whether a child before child i has parameters, so that child i must produce
  // an input gradient even when the caller wants none.
  private final boolean[] paramsBefore;
  private final Map<String, Parameter> parameters;
  private boolean closed;

  private Sequential(Map<String, Module> children) {
    this.children = Collections.unmodifiableMap(new LinkedHashMap<>(children));
    this.names = List.copyOf(children.keySet());
    this.modules = List.copyOf(children.values());
    this.paramsBefore = new boolean[modules.size()];
    Map<String, Parameter> params = new LinkedHashMap<>();
    boolean seen = false;
    for (int i = 0; i < modules.size(); i++) {
      paramsBefore[i] = seen;
      for (Map.Entry<String, Parameter> e : modules.get(i).parameters().entrySet()) {
        params.put(names.get(i) + "." + e.getKey(), e.getValue());
        seen = true;
      }
    }
    this.parameters = Collections.unmodifiableMap(params);
  }

  /** Children named {@code 0}, {@code 1}, ... as PyTorch names them. */
  public static Sequential of(Module... modules) {
    Builder b = builder();
    for (int i = 0; i < modules.length; i++) {
      b.add(Integer.toString(i), modules[i]);
    }
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects named children in order. */
  public static final class Builder {
    private final Map<String, Module> children = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Appends {@code module} as {@code name} (no dots, unique).
     *
     * @throws IllegalArgumentException for an empty, dotted or repeated name
     */
    public Builder add(String name, Module module) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(module, "module");
      if (name.isEmpty() || name.contains(".")) {
        throw new IllegalArgumentException(
            "module name must be non-empty and without dots: '" + name + "'");
      }
      if (children.putIfAbsent(name, module) != null) {
        throw new IllegalArgumentException("module name '" + name + "' is already used");
      }
      return this;
    }

    public Sequential build() {
      if (children.isEmpty()) {
        throw new IllegalArgumentException("a Sequential needs at least one module");
      }
      return new Sequential(children);
    }
  }

  /** The children by name, in order. */
  public Map<String, Module> children() {
    return children;
  }

  /**
   * The child named {@code name}.
   *
   * @throws IllegalArgumentException if there is none, listing the names
   */
  public Module get(String name) {
    Module m = children.get(name);
    if (m == null) {
      throw new IllegalArgumentException("no module named '" + name + "'; modules: " + names);
    }
    return m;
  }

  @Override
  public Tensor forward(Ops ops, Tensor input, boolean training) {
    checkOpen();
    Tensor x = input;
    for (int i = 0; i < modules.size(); i++) {
      try {
        x = modules.get(i).forward(ops, x, training);
      } catch (IllegalArgumentException e) {
        throw named(i, e);
      }
    }
    return x;
  }

  @Override
  public Tensor backward(Ops ops, Tensor gradOutput, boolean inputGrad) {
    checkOpen();
    Tensor g = gradOutput;
    for (int i = modules.size() - 1; i >= 0; i--) {
      boolean needed = inputGrad || paramsBefore[i];
      try {
        g = modules.get(i).backward(ops, g, needed);
      } catch (IllegalArgumentException e) {
        throw named(i, e);
      }
      if (!needed) {
        return null; // nothing before this child learns: its gradient would go nowhere
      }
    }
    return g;
  }

  @Override
  public Map<String, Parameter> parameters() {
    return parameters;
  }

  @Override
  public Map<String, Long> rngState() {
    Map<String, Long> state = new java.util.LinkedHashMap<>();
    for (int i = 0; i < modules.size(); i++) {
      for (Map.Entry<String, Long> e : modules.get(i).rngState().entrySet()) {
        state.put(names.get(i) + "." + e.getKey(), e.getValue());
      }
    }
    return state;
  }

  @Override
  public void restoreRngState(Map<String, Long> state) {
    for (int i = 0; i < modules.size(); i++) {
      String prefix = names.get(i) + ".";
      Map<String, Long> mine = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, Long> e : state.entrySet()) {
        if (e.getKey().startsWith(prefix)) {
          mine.put(e.getKey().substring(prefix.length()), e.getValue());
        }
      }
      if (!mine.isEmpty()) {
        modules.get(i).restoreRngState(mine);
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    for (Module m : modules) {
      try {
        m.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private IllegalArgumentException named(int i, IllegalArgumentException e) {
    return new IllegalArgumentException(names.get(i) + ": " + e.getMessage(), e);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Sequential " + names + " is closed");
    }
  }

  @Override
  public String toString() {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < modules.size(); i++) {
      lines.add("  (" + names.get(i) + "): " + modules.get(i));
    }
    return "Sequential(\n" + String.join("\n", lines) + "\n)";
  }
}
