package io.zbmd.ml.actor;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.tensor.Allocator;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link ModelActor} builds what it owns: the network and, for a model that trains, its loss
 * and its optimizer, each from
 * the actor's {@link Allocator} (so their memory is the actor's, accounted to it and freed when it
 * stops). The factories run inside a work on the actor's device, because layers initialise their
 * parameters there.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.of(
 *     (ops, alloc) -> Sequential.builder()
 *         .add("fc1", new Linear(ops, alloc, 784, 128, new SplittableRandom(seed)))
 *         .add("relu", new ReLU(alloc))
 *         .add("fc2", new Linear(ops, alloc, 128, 10, new SplittableRandom(seed + 1)))
 *         .build(),
 *     CrossEntropyLoss::new,
 *     (alloc, params) -> new Adam(alloc, params, Adam.Options.defaults()));
 * }</pre>
 *
 * <p>A model that only predicts needs neither: {@code ModelSpec.inference(factory)}; such an actor
 * answers {@code Predict}, weights and state, and refuses training with a message saying why.
 *
 * @param model builds the network
 * @param loss builds the training criterion; null for an inference-only model
 * @param optimizer builds the optimizer over the network's parameters; null for an inference-only
 *     model
 */
public record ModelSpec(ModelFactory model, LossFactory loss, OptimizerFactory optimizer) {
  public ModelSpec {
    Objects.requireNonNull(model, "model");
    if ((loss == null) != (optimizer == null)) {
      throw new IllegalArgumentException(
          "a model that trains needs both a loss and an optimizer (ModelSpec.of), one that only"
              + " predicts neither (ModelSpec.inference)");
    }
  }

  /** A model that trains: network, loss and optimizer. */
  public static ModelSpec of(ModelFactory model, LossFactory loss, OptimizerFactory optimizer) {
    return new ModelSpec(
        model,
        Objects.requireNonNull(loss, "loss"),
        Objects.requireNonNull(optimizer, "optimizer"));
  }

  /** A model that only predicts (and evaluates, with accuracy only): no loss, no optimizer. */
  public static ModelSpec inference(ModelFactory model) {
    return new ModelSpec(model, null, null);
  }

  /** Whether the model has a loss and an optimizer. */
  public boolean trains() {
    return loss != null;
  }

  /** Builds the network on the device of {@code alloc}. */
  @FunctionalInterface
  public interface ModelFactory {
    Module build(Ops ops, Allocator alloc);
  }

  /** Builds the loss. */
  @FunctionalInterface
  public interface LossFactory {
    Loss build(Allocator alloc);
  }

  /** Builds the optimizer over {@code parameters}. */
  @FunctionalInterface
  public interface OptimizerFactory {
    Optimizer build(Allocator alloc, Map<String, Parameter> parameters);
  }
}
