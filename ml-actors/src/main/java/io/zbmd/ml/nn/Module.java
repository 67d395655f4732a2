package io.zbmd.ml.nn;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Tensor;
import java.util.Map;

/**
 * A layer or a network of layers, as PyTorch's {@code nn.Module}: a forward pass that caches what
 * its backward pass needs, a backward pass that accumulates parameter gradients, and named
 * parameters ({@code fc1.weight}) in PyTorch's layouts so that state dicts move between the two.
 *
 * <p>Both passes enqueue their work on the {@link Ops} of a {@link io.zbmd.gpu.DeviceStream.Work},
 * so a whole training step (forward, loss, backward, optimizer) can be one submitted work:
 *
 * <pre>{@code
 * float loss = stream.submit(ops -> {
 *   model.zeroGrad(ops);
 *   Tensor logits = model.forward(ops, x, true);
 *   Tensor value = criterion.forward(ops, logits, labels);
 *   model.backward(ops, criterion.backward(ops), false); // no gradient for the input batch
 *   optimizer.step(ops);
 *   return value.toHost(ops);
 * }).thenApply(v -> v[0]) ...;
 * }</pre>
 *
 * <p>Ownership: the tensors {@code forward} and {@code backward} return belong to the module and
 * stay valid until its next pass of the same kind (or {@link #close()}); the input of {@code
 * forward} is retained by the module until the next forward, so the caller may release it. Shapes
 * are checked: a wrong one throws {@link IllegalArgumentException} naming the layer, the expected
 * and the actual shape. Not thread-safe: one actor, one work at a time.
 */
public interface Module extends AutoCloseable {
  /**
   * Computes the output for {@code input} and caches what {@link #backward} needs.
   *
   * @param training true for a training pass (dropout active), false for evaluation
   * @return the output, owned by this module
   */
  Tensor forward(Ops ops, Tensor input, boolean training);

  /**
   * Back-propagates {@code gradOutput} (the gradient of the loss with respect to the last output):
   * adds the parameter gradients to {@link Parameter#grad()} (they accumulate until {@link
   * #zeroGrad}, so that micro-batches add up) and returns the gradient with respect to the input.
   *
   * @param inputGrad whether to compute the input gradient; false skips that work (the first layer
   *     of a network, whose input is data) and returns null
   * @return the input gradient, owned by this module, or null when {@code inputGrad} is false
   * @throws IllegalStateException if there was no forward pass
   */
  Tensor backward(Ops ops, Tensor gradOutput, boolean inputGrad);

  /**
   * Where this module's random-number generators stand, by name ({@code masks_drawn}; {@code
   * drop1.masks_drawn} inside a {@link Sequential}): with the parameters, all a checkpoint needs
   * to resume the same random sequence. Empty (the default) for modules that draw nothing.
   */
  default Map<String, Long> rngState() {
    return Map.of();
  }

  /**
   * Moves this module's generators to {@code state}, as {@link #rngState()} gave it; keys this
   * module does not have are ignored, so a state from an older checkpoint loads.
   */
  default void restoreRngState(Map<String, Long> state) {}

  /** {@link #backward(Ops, Tensor, boolean)} with the input gradient. */
  default Tensor backward(Ops ops, Tensor gradOutput) {
    return backward(ops, gradOutput, true);
  }

  /**
   * The parameters by name, in PyTorch's order and naming ({@code weight}, {@code bias}; {@code
   * fc1.weight} inside a {@link Sequential}). Empty for layers without parameters.
   */
  default Map<String, Parameter> parameters() {
    return Map.of();
  }

  /** Sets every parameter gradient to zero. */
  default void zeroGrad(Ops ops) {
    for (Parameter p : parameters().values()) {
      p.zeroGrad(ops);
    }
  }

  /** Number of parameter values. */
  default long parameterCount() {
    long n = 0;
    for (Parameter p : parameters().values()) {
      n += p.numel();
    }
    return n;
  }

  /** Releases the parameters and every cached tensor. Idempotent. */
  @Override
  void close();
}
