package io.zbmd.ml.nn;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Tensor;

/**
 * A training criterion: a scalar loss of a model's output against a target, and the loss's gradient
 * with respect to that output, which starts {@link Module#backward}.
 *
 * <pre>{@code
 * Tensor loss = criterion.forward(ops, logits, labels);   // shape [], the batch mean
 * Tensor dlogits = criterion.backward(ops);               // d loss / d logits
 * model.backward(ops, dlogits, false);
 * float value = loss.toHost(ops)[0];                      // read once the work completes
 * }</pre>
 *
 * <p>The tensors returned belong to the loss and stay valid until its next call of the same kind or
 * {@link #close()}; the input and target are retained until the next forward.
 */
public interface Loss extends AutoCloseable {
  /**
   * The loss of {@code input} against {@code target} as a scalar tensor (shape {@code []}), caching
   * what {@link #backward} needs.
   */
  Tensor forward(Ops ops, Tensor input, Tensor target);

  /**
   * The gradient of {@code scale * loss} with respect to the last forward's input. A scale below 1
   * weighs a micro-batch within a larger effective batch: {@code micro / effective} makes the
   * accumulated gradients those of the mean over the effective batch.
   *
   * @throws IllegalStateException if there was no forward pass
   */
  Tensor backward(Ops ops, float scale);

  /** The gradient of the loss itself. */
  default Tensor backward(Ops ops) {
    return backward(ops, 1f);
  }

  /** Releases every cached tensor. Idempotent. */
  @Override
  void close();
}
