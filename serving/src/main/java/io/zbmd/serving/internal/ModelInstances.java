package io.zbmd.serving.internal;

import io.zbmd.serving.Batcher;
import io.zbmd.serving.Predictor;
import io.zbmd.serving.ServedModel;
import io.zbmd.serving.ServingSettings;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/** A served model's batchers (one per instance), taken round-robin, and their predictors. */
public record ModelInstances(
    ServedModel model,
    ServingSettings.Batching batching,
    List<ActorRef<Batcher.Command>> batchers,
    List<Predictor> predictors,
    ModelMetrics metrics,
    AtomicInteger next) {

  /** The batcher for the next request. */
  public ActorRef<Batcher.Command> nextBatcher() {
    return batchers.get(Math.floorMod(next.getAndIncrement(), batchers.size()));
  }
}
