package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
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
 * One layer (any {@link Module}) on its device, as an actor: forward and backward passes by
 * message, with its parameters and their gradients owned by the actor and freed when it stops.
 * Activations and gradients travel between layer actors as {@link SharedTensor}s (retained
 * buffers, no copies), so a network can be a chain of layer actors; an {@link OptimizerActor} on
 * the same device updates the parameters it was given through {@link ShareParameters}. Works are
 * piped back; commands that arrive while one is in flight wait in a stash.
 *
 * <pre>{@code
 * ActorRef<LayerActor.Command> fc1 = LayerActor.spawn(ctx,
 *     (ops, alloc) -> new Linear(ops, alloc, 784, 128, rng), device, "fc1");
 * fc1.tell(new LayerActor.Forward(SharedTensor.retainOf(x), true, outputs));
 * // Computed(output): valid until fc1's next forward; the receiver releases its reference
 * fc1.tell(new LayerActor.Backward(gradOutput, true, grads)); // Computed(input gradient)
 * }</pre>
 */
public final class LayerActor extends AbstractBehavior<LayerActor.Command> {
  /** What a layer actor understands. */
  public interface Command {}

  /**
   * The layer's output for {@code input} (whose reference the layer takes over). The output's
   * values stay valid until the layer's next forward pass.
   */
  public record Forward(SharedTensor input, boolean training, ActorRef<Output> replyTo)
      implements Command {
    public Forward {
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * Back-propagates {@code gradOutput} (reference taken over): parameter gradients accumulate, and
   * the input gradient comes back when {@code inputGrad} (null otherwise).
   */
  public record Backward(SharedTensor gradOutput, boolean inputGrad, ActorRef<Output> replyTo)
      implements Command {
    public Backward {
      Objects.requireNonNull(gradOutput, "gradOutput");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** What a pass answers. */
  public interface Output {}

  /** The pass's result (null for a backward pass without input gradient); release it when done. */
  public record Computed(SharedTensor tensor) implements Output {}

  public record Failed(String pass, Throwable cause) implements Output {}

  /** Retained references to every parameter value and gradient, by name, for an optimizer. */
  public record ShareParameters(ActorRef<ParametersShared> replyTo) implements Command {}

  /** One shared parameter: its value and its gradient. */
  public record SharedParameter(SharedTensor value, SharedTensor grad) {
    /** Takes both references over as a {@link Parameter}. */
    public Parameter adopt() {
      return new Parameter(value.adopt(), grad.adopt());
    }
  }

  public record ParametersShared(Map<String, SharedParameter> parameters) {}

  /** Stops the actor; it frees what it owns. */
  public enum Stop implements Command {
    INSTANCE
  }

  private record WorkFinished(Runnable deliver) implements Command {}

  private final SerialDeviceWork<Command> work;
  private final DeviceId device;
  private final DeviceStream stream;
  private final OwnedBuffers owned;
  private final Allocator alloc;
  private Module module;

  private LayerActor(
      ActorContext<Command> ctx,
      StashBuffer<Command> stash,
      ModelSpec.ModelFactory layer,
      DeviceId device) {
    super(ctx);
    this.device = device;
    GpuExtension gpu = GpuExtension.get(ctx.getSystem());
    this.stream = gpu.stream(device);
    this.owned = OwnedBuffers.create(gpu, ctx);
    this.alloc = Allocator.of(owned, device);
    this.work = new SerialDeviceWork<>(ctx, stash, stream, WorkFinished::new);
    work.run(
        ops -> layer.build(ops, alloc),
        (built, err) ->
            () -> {
              if (err != null) {
                throw new IllegalStateException(
                    ctx.getSelf().path() + ": building the layer on " + device + " failed", err);
              }
              module = built;
            });
  }

  /** The behavior of a layer built by {@code layer} on {@code device}; see {@link #spawn}. */
  public static Behavior<Command> create(ModelSpec.ModelFactory layer, DeviceId device) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(device, "device");
    return Behaviors.withStash(
        1000, stash -> Behaviors.setup(ctx -> new LayerActor(ctx, stash, layer, device)));
  }

  /** Spawns a layer actor as a child of {@code ctx} on {@code device}'s pinned dispatcher. */
  public static ActorRef<Command> spawn(
      ActorContext<?> ctx, ModelSpec.ModelFactory layer, DeviceId device, String name) {
    return GpuExtension.get(ctx.getSystem()).spawn(ctx, create(layer, device), name, device);
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
    if (c instanceof Forward m) {
      Tensor x = m.input().adopt();
      run(
          ops -> {
            try {
              return SharedTensor.retainOf(module.forward(ops, x, m.training()));
            } finally {
              x.release(); // the module retains its input until its next forward
            }
          },
          (out, err) ->
              () -> m.replyTo().tell(err == null ? new Computed(out) : new Failed("forward", err)));
    } else if (c instanceof Backward m) {
      Tensor dy = m.gradOutput().adopt();
      run(
          ops -> {
            try {
              Tensor dx = module.backward(ops, dy, m.inputGrad());
              return dx == null ? null : SharedTensor.retainOf(dx);
            } finally {
              dy.release();
            }
          },
          (out, err) ->
              () -> m.replyTo().tell(err == null ? new Computed(out) : new Failed("backward", err)));
    } else if (c instanceof ShareParameters m) {
      Map<String, SharedParameter> shared = new LinkedHashMap<>();
      for (Map.Entry<String, Parameter> e : module.parameters().entrySet()) {
        Parameter p = e.getValue();
        shared.put(
            e.getKey(),
            new SharedParameter(SharedTensor.retainOf(p.value()), SharedTensor.retainOf(p.grad())));
      }
      m.replyTo().tell(new ParametersShared(shared));
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
    if (module != null) {
      try {
        module.close();
      } catch (Exception e) {
        // owned.close() below still frees every buffer.
      }
    }
    owned.close();
  }
}
