package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;

/**
 * A tensor a layer keeps (its input for the backward pass, the labels, a reshaped view it
 * returned), held by a view of its own so that the caller may release the original. Steady-state
 * training passes the same buffer and shape every step: then the view is kept, and nothing is
 * allocated.
 */
final class Retained implements AutoCloseable {
  private Tensor held;

  /** Holds a view of {@code t} instead of what was held; returns the view. */
  Tensor hold(Tensor t) {
    if (held != null && held.buffer() == t.buffer() && held.sameShape(t)) {
      return held;
    }
    return replace(t.view(t.shape()));
  }

  /** Holds a view of {@code t}'s buffer in {@code shape} instead of what was held; returns it. */
  Tensor hold(Tensor t, int[] shape) {
    if (held != null && held.buffer() == t.buffer() && held.hasShape(shape)) {
      return held;
    }
    return replace(t.view(shape));
  }

  private Tensor replace(Tensor view) {
    close();
    held = view;
    return held;
  }

  /** What is held, or null. */
  Tensor get() {
    return held;
  }

  @Override
  public void close() {
    if (held != null) {
      held.release();
      held = null;
    }
  }
}
