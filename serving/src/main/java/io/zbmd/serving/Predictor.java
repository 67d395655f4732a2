package io.zbmd.serving;

import io.zbmd.ml.io.HostTensor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One model instance as the {@link Batcher} sees it: a batch of rows in (the first dimension is the
 * batch), the same number of rows out. The batcher calls it at most once at a time, so an instance
 * may own one device stream. {@link ModelActorPredictor} runs it on a {@code ModelActor}; tests and
 * other engines implement it directly.
 *
 * <pre>{@code
 * Predictor doubler = batch -> CompletableFuture.completedFuture(twice(batch));
 * }</pre>
 */
@FunctionalInterface
public interface Predictor {
  /** The output rows of {@code batch}, in order; a failed stage fails every request of the batch. */
  CompletionStage<HostTensor> predict(HostTensor batch);

  /** Frees the instance (its device memory); called once, after its last batch. */
  default CompletionStage<Void> close() {
    return CompletableFuture.completedFuture(null);
  }
}
