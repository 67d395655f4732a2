package io.zbmd.ml.onnx;

import io.zbmd.ml.onnx.internal.proto.OnnxProto.AttributeProto;
import io.zbmd.ml.onnx.internal.proto.OnnxProto.NodeProto;
import io.zbmd.ml.tensor.Tensor;
import java.util.List;

/**
 * One executable operator of the graph. {@code forward} returns a new value the graph owns (a
 * fresh tensor or a view) and keeps references to what its backward pass reads; the graph keeps
 * those tensors alive until the backward pass in training. {@code backward} returns new gradient
 * tensors, one per input ({@code null} where {@code need} is false or the input is on the host).
 */
abstract class Node {
  final NodeProto def;
  final int opset;

  Node(NodeProto def, int opset) {
    this.def = def;
    this.opset = opset;
  }

  // Tensors a pass keeps for its backward (views, per-channel factors); released by clear().
  private final java.util.List<Tensor> scratch = new java.util.ArrayList<>();

  abstract Value forward(Run r, Value[] in);

  /** Holds {@code t} until {@link #clear()}; returns it. */
  final Tensor keep(Tensor t) {
    scratch.add(t);
    return t;
  }

  /** A view of {@code t} in {@code shape}, held until {@link #clear()}. */
  final Tensor as(Tensor t, int... shape) {
    return keep(t.view(shape));
  }

  /** Releases what the last pass kept. */
  final void clear() {
    for (Tensor t : scratch) {
      t.release();
    }
    scratch.clear();
  }

  /** Whether gradients flow through this operator (shape operators: no). */
  boolean differentiable() {
    return true;
  }

  Tensor[] backward(Run r, Tensor dy, boolean[] need) {
    throw new IllegalStateException(this + " has no gradient");
  }

  // ---- attributes ----

  final AttributeProto attr(String name) {
    for (AttributeProto a : def.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  final long attrInt(String name, long dflt) {
    AttributeProto a = attr(name);
    return a == null ? dflt : a.getI();
  }

  final float attrFloat(String name, float dflt) {
    AttributeProto a = attr(name);
    return a == null ? dflt : a.getF();
  }

  final List<Long> attrInts(String name) {
    AttributeProto a = attr(name);
    return a == null ? null : a.getIntsList();
  }

  final String attrString(String name, String dflt) {
    AttributeProto a = attr(name);
    return a == null ? dflt : a.getS().toStringUtf8();
  }

  /** An int attribute as an int, refusing absurd values with the node's name. */
  final int intAttr(String name, long dflt, long min, long max) {
    long v = attrInt(name, dflt);
    if (v < min || v > max) {
      throw new IllegalArgumentException(this + ": attribute " + name + " = " + v
          + " is out of range [" + min + ", " + max + "]");
    }
    return (int) v;
  }

  final int[] intsAttr(String name, int count, int dflt, long min, long max) {
    List<Long> v = attrInts(name);
    int[] out = new int[count];
    if (v == null) {
      java.util.Arrays.fill(out, dflt);
      return out;
    }
    if (v.size() != count) {
      throw new IllegalArgumentException(this + ": attribute " + name + " has " + v.size()
          + " values, expected " + count);
    }
    for (int i = 0; i < count; i++) {
      if (v.get(i) < min || v.get(i) > max) {
        throw new IllegalArgumentException(this + ": attribute " + name + " = " + v
            + " is out of range [" + min + ", " + max + "]");
      }
      out[i] = (int) (long) v.get(i);
    }
    return out;
  }

  final IllegalArgumentException bad(String problem) {
    return new IllegalArgumentException(this + ": " + problem);
  }

  final Tensor device(Value v, int input) {
    if (v == null || v.onHost()) {
      throw bad("input " + input + " must be a float tensor");
    }
    return v.tensor();
  }

  final long[] host(Value v, int input) {
    if (v == null || !v.onHost()) {
      throw bad("input " + input + " must be a constant int64 tensor (a shape or axes)");
    }
    return v.ints();
  }

  static int axis(long axis, int rank, Node n) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= Math.max(rank, 1)) {
      throw n.bad("axis " + axis + " out of range for rank " + rank);
    }
    return (int) a;
  }

  @Override
  public String toString() {
    return def.getOpType() + (def.getName().isEmpty() ? "" : " '" + def.getName() + "'");
  }
}
