package io.zbmd.cluster;

import io.zbmd.ml.actor.ModelActor;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.io.HostTensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One replica of a data-parallel run: drives its {@link ModelActor} through a synchronous step
 * with the other replicas of its {@link Collective}. A step computes the gradients of this
 * replica's shard, weighs them by the shard's size, all-reduces every gradient bucket (and the
 * loss and sample counts) over the data plane, imports the sums and applies them scaled by one
 * over the global batch size. The update is then that of the whole global batch whatever the
 * shards' sizes, and identical on every replica (every rank imports the same bits).
 *
 * <pre>{@code
 * ActorRef<DataParallelWorker.Command> worker =
 *     ctx.spawn(DataParallelWorker.create(model, ring, Duration.ofSeconds(30)), "worker");
 * worker.tell(new DataParallelWorker.Step(7, globalBatch.split(ring.size()).get(ring.rank()), 1,
 *     replyTo));
 * }</pre>
 *
 * <p>The worker owns the collective and closes it when it stops. A failed step (a peer lost, the
 * deadline passed) answers {@link StepAborted} and leaves the model's weights untouched; the
 * collective is broken and the control plane forms a new ring.
 */
public final class DataParallelWorker extends AbstractBehavior<DataParallelWorker.Command> {
  public interface Command {}

  /** Takes global step {@code step} with this replica's {@code shard} of the global batch. */
  public record Step(long step, Batch shard, int microBatches, ActorRef<StepResult> replyTo)
      implements Command {}

  public sealed interface StepResult permits StepDone, StepAborted {}

  /**
   * The step was taken on this replica.
   *
   * @param loss the global batch's mean loss before the update
   * @param samples the global batch size
   * @param modelSteps optimizer steps the model has taken, this one included
   */
  public record StepDone(long step, float loss, int samples, long modelSteps)
      implements StepResult {}

  /** The step was not taken here; {@code cause} says why (e.g. {@link PeerLostException}). */
  public record StepAborted(long step, Throwable cause) implements StepResult {}

  private record Finished(Step step, StepResult result) implements Command {}

  private final ActorRef<ModelActor.Command> model;
  private final Collective collective;
  private final Duration timeout;
  private final Scheduler scheduler;
  private final Executor blocking;
  private boolean busy;

  public static Behavior<Command> create(ActorRef<ModelActor.Command> model,
      Collective collective, Duration timeout) {
    return Behaviors.setup(ctx -> new DataParallelWorker(ctx, model, collective, timeout));
  }

  private DataParallelWorker(ActorContext<Command> ctx, ActorRef<ModelActor.Command> model,
      Collective collective, Duration timeout) {
    super(ctx);
    this.model = model;
    this.collective = collective;
    this.timeout = timeout;
    this.scheduler = ctx.getSystem().scheduler();
    // The all-reduce blocks on sockets: never on the actor's dispatcher.
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Step.class, this::onStep)
        .onMessage(Finished.class, this::onFinished)
        .onSignal(PostStop.class, s -> {
          collective.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onStep(Step step) {
    if (busy) {
      step.replyTo().tell(new StepAborted(step.step(), new IllegalStateException(
          "replica rank " + collective.rank() + " is still in another step")));
      return this;
    }
    busy = true;
    getContext().pipeToSelf(run(step), (result, error) -> new Finished(step,
        error != null ? new StepAborted(step.step(), unwrap(error)) : result));
    return this;
  }

  private Behavior<Command> onFinished(Finished f) {
    busy = false;
    f.step().replyTo().tell(f.result());
    return this;
  }

  private CompletionStage<StepResult> run(Step step) {
    return this.<ModelActor.GradientsResult>ask(
            r -> new ModelActor.ComputeGradients(step.shard(), step.microBatches(), r))
        .thenCompose(computed -> {
          ModelActor.GradientsComputed c = expect(computed, ModelActor.GradientsComputed.class);
          return this.<ModelActor.GradientsResult>ask(ModelActor.ExportGradients::new)
              .thenApply(e -> new Local(c, expect(e, ModelActor.GradientsExported.class)));
        })
        .thenComposeAsync(local -> CompletableFuture.supplyAsync(() -> reduce(local), blocking))
        .thenCompose(reduced -> this.<ModelActor.ImportResult>ask(
                r -> new ModelActor.ImportGradients(reduced.buckets(), r))
            .thenCompose(imported -> {
              expect(imported, ModelActor.Imported.class);
              float scale = 1f / reduced.samples();
              return this.<ModelActor.StepResult>ask(r -> new ModelActor.ApplyGradients(scale, r));
            })
            .thenApply(applied -> {
              ModelActor.StepCompleted done = expect(applied, ModelActor.StepCompleted.class);
              return new StepDone(step.step(), reduced.loss(), reduced.samples(), done.step());
            }));
  }

  private record Local(ModelActor.GradientsComputed computed,
      ModelActor.GradientsExported exported) {}

  private record Reduced(List<HostTensor> buckets, float loss, int samples) {}

  /** Weighs by the shard size and sums over the ring: the bucket order is the same everywhere. */
  private Reduced reduce(Local local) {
    int samples = local.computed().samples();
    List<HostTensor> out = new ArrayList<>();
    for (HostTensor bucket : local.exported().buckets()) {
      float[] g = bucket.toFloats();
      for (int i = 0; i < g.length; i++) {
        g[i] *= samples;
      }
      collective.allReduceSum(g, 0, g.length);
      out.add(HostTensor.ofFloats(bucket.shape(), g));
    }
    float[] totals = {local.computed().loss() * samples, samples};
    collective.allReduceSum(totals, 0, 2);
    return new Reduced(out, totals[0] / totals[1], Math.round(totals[1]));
  }

  private <T> CompletionStage<T> ask(
      java.util.function.Function<ActorRef<T>, ModelActor.Command> message) {
    return AskPattern.ask(model, message::apply, timeout, scheduler);
  }

  private <T> T expect(Object reply, Class<T> type) {
    if (type.isInstance(reply)) {
      return type.cast(reply);
    }
    Throwable cause = null;
    if (reply instanceof ModelActor.GradientsFailed f) {
      cause = f.cause();
    } else if (reply instanceof ModelActor.ImportFailed f) {
      cause = f.cause();
    } else if (reply instanceof ModelActor.StepFailed f) {
      cause = f.cause();
    }
    throw new IllegalStateException("replica rank " + collective.rank() + ": the model answered "
        + reply + " where " + type.getSimpleName() + " was due", cause);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
        || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
