package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.optim.OptimizerState;
import io.zbmd.ml.tensor.Allocator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * An optimizer on a device, as an actor: it updates parameters that {@link LayerActor}s on the
 * same device shared with it ({@link LayerActor.ShareParameters}), and owns its state (momentum,
 * Adam's moments), freed when it stops along with its references to the parameters. Its works go
 * to the device's one ordered stream, so a {@link Step} sent after the layers' backward passes
 * were answered sees their gradients.
 *
 * <pre>{@code
 * // "fc1.weight" -> fc1's "weight" from its ParametersShared, and so on
 * Map<String, LayerActor.SharedParameter> params = ...;
 * ActorRef<OptimizerActor.Command> adam = OptimizerActor.spawn(ctx, device,
 *     (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults()), params, "adam");
 * adam.tell(new OptimizerActor.ZeroGrad(replies));  // before the backward passes
 * adam.tell(new OptimizerActor.Step(replies));      // after them: Stepped(steps)
 * }</pre>
 */
public final class OptimizerActor extends AbstractBehavior<OptimizerActor.Command> {
  /** What an optimizer actor understands. */
  public interface Command {}

  /** One update of every parameter from its gradient. */
  public record Step(ActorRef<Result> replyTo) implements Command {}

  /** Sets every gradient to zero. */
  public record ZeroGrad(ActorRef<Result> replyTo) implements Command {}

  /** A host copy of the state. */
  public record ExportState(ActorRef<Result> replyTo) implements Command {}

  /** Replaces the state (see {@link Optimizer#loadState}). */
  public record ImportState(OptimizerState state, ActorRef<Result> replyTo) implements Command {}

  /** Stops the actor; it frees its state and its parameter references. */
  public enum Stop implements Command {
    INSTANCE
  }

  /** What commands answer. */
  public interface Result {}

  /** A step was taken; {@code steps} so far. */
  public record Stepped(long steps) implements Result {}

  public enum GradientsZeroed implements Result {
    INSTANCE
  }

  public record StateExported(OptimizerState state) implements Result {}

  public record StateImported(long steps) implements Result {}

  public record Failed(String operation, Throwable cause) implements Result {}

  private record WorkFinished(Runnable deliver) implements Command {}

  private final SerialDeviceWork<Command> work;
  private final DeviceStream stream;
  private final OwnedBuffers owned;
  private final Map<String, Parameter> parameters;
  private Optimizer optimizer;

  private OptimizerActor(
      ActorContext<Command> ctx,
      StashBuffer<Command> stash,
      DeviceId device,
      ModelSpec.OptimizerFactory factory,
      Map<String, LayerActor.SharedParameter> shared) {
    super(ctx);
    GpuExtension gpu = GpuExtension.get(ctx.getSystem());
    this.stream = gpu.stream(device);
    this.owned = OwnedBuffers.create(gpu, ctx);
    Allocator alloc = Allocator.of(owned, device);
    Map<String, Parameter> params = new LinkedHashMap<>();
    shared.forEach((name, p) -> params.put(name, p.adopt()));
    this.parameters = params;
    this.work = new SerialDeviceWork<>(ctx, stash, stream, WorkFinished::new);
    work.run(
        ops -> factory.build(alloc, params),
        (built, err) ->
            () -> {
              if (err != null) {
                throw new IllegalStateException(
                    ctx.getSelf().path() + ": building the optimizer failed", err);
              }
              optimizer = built;
            });
  }

  /**
   * The behavior of an optimizer built by {@code factory} over {@code parameters} (whose references
   * it takes over), on {@code device}; see {@link #spawn}.
   */
  public static Behavior<Command> create(
      DeviceId device,
      ModelSpec.OptimizerFactory factory,
      Map<String, LayerActor.SharedParameter> parameters) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(factory, "factory");
    Map<String, LayerActor.SharedParameter> params = new LinkedHashMap<>(parameters);
    return Behaviors.withStash(
        1000,
        stash -> Behaviors.setup(ctx -> new OptimizerActor(ctx, stash, device, factory, params)));
  }

  /** Spawns an optimizer actor as a child of {@code ctx} on {@code device}'s pinned dispatcher. */
  public static ActorRef<Command> spawn(
      ActorContext<?> ctx,
      DeviceId device,
      ModelSpec.OptimizerFactory factory,
      Map<String, LayerActor.SharedParameter> parameters,
      String name) {
    return GpuExtension.get(ctx.getSystem())
        .spawn(ctx, create(device, factory, parameters), name, device);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkFinished.class, this::onWorkFinished)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onMessage(Command.class, this::onCommand)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onWorkFinished(WorkFinished m) {
    return work.finished(this, m.deliver());
  }

  private Behavior<Command> onCommand(Command c) {
    if (work.deferIfBusy(c)) {
      return this;
    }
    if (c instanceof Step m) {
      run(
          ops -> {
            optimizer.step(ops);
            return optimizer.steps();
          },
          (n, err) ->
              () -> m.replyTo().tell(err == null ? new Stepped(n) : new Failed("step", err)));
    } else if (c instanceof ZeroGrad m) {
      run(
          ops -> {
            optimizer.zeroGrad(ops);
            return null;
          },
          (v, err) ->
              () ->
                  m.replyTo()
                      .tell(err == null ? GradientsZeroed.INSTANCE : new Failed("zeroGrad", err)));
    } else if (c instanceof ExportState m) {
      run(
          optimizer::state,
          (s, err) ->
              () ->
                  m.replyTo()
                      .tell(err == null ? new StateExported(s) : new Failed("exportState", err)));
    } else if (c instanceof ImportState m) {
      run(
          ops -> {
            optimizer.loadState(ops, m.state());
            return optimizer.steps();
          },
          (n, err) ->
              () ->
                  m.replyTo()
                      .tell(err == null ? new StateImported(n) : new Failed("importState", err)));
    }
    return this;
  }

  private <T> void run(DeviceStream.Work<T> w, BiFunction<T, Throwable, Runnable> onDone) {
    work.run(w, onDone);
  }

  private Behavior<Command> onPostStop() {
    work.afterStop(this::freeAll);
    return this;
  }

  private void freeAll() {
    if (optimizer != null) {
      optimizer.close();
    }
    for (Parameter p : parameters.values()) {
      p.value().release();
      p.grad().release();
    }
    owned.close();
  }
}
