package io.zbmd.serving;

import io.zbmd.gpu.DeviceId;
import io.zbmd.ml.actor.ModelActor;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.io.HostTensor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A model instance on a {@link ModelActor}: one {@code Predict} per batch, on the actor's device.
 * {@link #load} spawns the actor (under a small host actor of its own, so that {@link #close} can
 * stop it and free its device memory) and imports the weights before the instance serves.
 *
 * <pre>{@code
 * Predictor p = ModelActorPredictor.load(system, ModelSpec.inference(factory), device, weights,
 *     "mnist-0").toCompletableFuture().get();
 * }</pre>
 */
public final class ModelActorPredictor implements Predictor {
  private static final Duration PREDICT_TIMEOUT = Duration.ofMinutes(5);

  private final ActorSystem<?> system;
  private final ActorRef<Object> host;

  private ModelActorPredictor(ActorSystem<?> system, ActorRef<Object> host) {
    this.system = system;
    this.host = host;
  }

  /**
   * Spawns a model actor for {@code spec} on {@code device} and imports {@code weights} (by
   * PyTorch parameter name); fails with the import's cause, the actor then stopped.
   */
  public static CompletionStage<ModelActorPredictor> load(
      ActorSystem<?> system,
      ModelSpec spec,
      DeviceId device,
      Map<String, HostTensor> weights,
      String name) {
    ActorRef<Object> host =
        system.systemActorOf(hostBehavior(spec, device), "zbmd-model-" + name, Props.empty());
    ModelActorPredictor predictor = new ModelActorPredictor(system, host);
    return AskPattern.<Object, ModelActor.ImportResult>ask(
            host,
            replyTo -> new ModelActor.ImportWeights(weights, replyTo),
            Duration.ofMinutes(2),
            system.scheduler())
        .thenCompose(
            r -> {
              if (r instanceof ModelActor.ImportFailed f) {
                host.tell(Close.INSTANCE);
                return CompletableFuture.failedFuture(f.cause());
              }
              return CompletableFuture.completedFuture(predictor);
            });
  }

  @Override
  public CompletionStage<HostTensor> predict(HostTensor batch) {
    return AskPattern.<Object, ModelActor.PredictResult>ask(
            host, replyTo -> new ModelActor.Predict(batch, replyTo), PREDICT_TIMEOUT, system.scheduler())
        .thenCompose(
            r ->
                r instanceof ModelActor.Predicted p
                    ? CompletableFuture.completedFuture(p.output())
                    : CompletableFuture.failedFuture(((ModelActor.PredictFailed) r).cause()));
  }

  @Override
  public CompletionStage<Void> close() {
    host.tell(Close.INSTANCE);
    return CompletableFuture.completedFuture(null);
  }

  private enum Close {
    INSTANCE
  }

  /** Forwards to the model actor; Close stops it, and its PostStop frees the device memory. */
  private static Behavior<Object> hostBehavior(ModelSpec spec, DeviceId device) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<ModelActor.Command> model = ModelActor.spawn(ctx, spec, device, "model");
          return Behaviors.receive(Object.class)
              .onMessageEquals(Close.INSTANCE, Behaviors::stopped)
              .onMessage(ModelActor.Command.class, c -> {
                model.tell(c);
                return Behaviors.same();
              })
              .build();
        });
  }
}
