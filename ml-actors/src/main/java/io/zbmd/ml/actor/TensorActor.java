package io.zbmd.ml.actor;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
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
 * One FLOAT32 tensor on one device, as an actor: it multiplies or adds another tensor actor's
 * tensor on the same device into its own, copies its values to the host, and migrates to another
 * device (a copy to the host, then a new tensor actor on the target device; this one stops). The
 * other operand crosses actors as a retained buffer (Netty's rule: the sharer retains, the user
 * releases), so nothing is copied on the device. Works are piped back; commands that arrive while
 * one is in flight wait in a stash. Its buffer is freed when it stops.
 *
 * <pre>{@code
 * GpuExtension gpu = GpuExtension.get(ctx.getSystem());
 * ActorRef<TensorActor.Command> a = TensorActor.spawn(ctx, device, HostTensor.ofFloats(
 *     new int[] {2, 3}, values), "a");
 * a.tell(new TensorActor.MatMul(b, replies));          // a <- a @ b; Computed([2, n])
 * a.tell(new TensorActor.ToHost(replies));             // OnHost(HostTensor)
 * a.tell(new TensorActor.MigrateTo(other, replies));   // Migrated(newRef, other); a stops
 * newRef.tell(TensorActor.Stop.INSTANCE);             // frees it on the other device
 * }</pre>
 */
public final class TensorActor extends AbstractBehavior<TensorActor.Command> {
  /** How long an operation waits for the other operand's actor to share its buffer. */
  public static final Duration SHARE_TIMEOUT = Duration.ofSeconds(10);

  /** What a tensor actor understands. */
  public interface Command {}

  /** {@code this <- this @ other}: both matrices, {@code [m, k] @ [k, n]}. */
  public record MatMul(ActorRef<Command> other, ActorRef<Result> replyTo) implements Command {}

  /** {@code this <- this + other}, elementwise; both of the same shape. */
  public record Add(ActorRef<Command> other, ActorRef<Result> replyTo) implements Command {}

  /** A host copy of the values. */
  public record ToHost(ActorRef<Result> replyTo) implements Command {}

  /** Moves the tensor to {@code device}: answered with {@link Migrated}, after which this stops. */
  public record MigrateTo(DeviceId device, ActorRef<Result> replyTo) implements Command {}

  /**
   * Stops the actor and frees its tensor: the way to stop a migrated tensor, which is not the
   * child of whoever asked for the migration.
   */
  public enum Stop implements Command {
    INSTANCE
  }

  /**
   * A retained reference to the tensor's buffer, for another actor's operation; the receiver
   * releases it. Answered at once, even while a work is in flight.
   */
  public record Share(ActorRef<Shared> replyTo) implements Command {}

  /** A buffer {@link Share}d with one reference for the receiver, which must release it. */
  public record Shared(DeviceBuffer buffer, int[] shape) {}

  /** What operations answer. */
  public interface Result {}

  /** The operation was applied; the tensor now has {@code shape}. */
  public record Computed(int[] shape) implements Result {}

  public record OnHost(HostTensor tensor) implements Result {}

  /** The tensor now lives in {@code tensor}, on {@code device}. */
  public record Migrated(ActorRef<Command> tensor, DeviceId device) implements Result {}

  /** {@code operation} failed; the tensor is unchanged. */
  public record Failed(String operation, Throwable cause) implements Result {}

  private record OtherShared(Command operation, Shared other, Throwable error)
      implements Command {}

  private record WorkFinished(Runnable deliver) implements Command {}

  private final StashBuffer<Command> stash;
  private final SerialDeviceWork<Command> work;
  private final GpuExtension gpu;
  private final DeviceId device;
  private final DeviceStream stream;
  private final OwnedBuffers owned;
  private final Allocator alloc;
  private Tensor tensor;
  private boolean stopWhenDone;

  private TensorActor(
      ActorContext<Command> ctx, StashBuffer<Command> stash, DeviceId device, HostTensor initial) {
    super(ctx);
    this.stash = stash;
    this.device = device;
    this.gpu = GpuExtension.get(ctx.getSystem());
    this.stream = gpu.stream(device);
    this.owned = OwnedBuffers.create(gpu, ctx);
    this.alloc = Allocator.of(owned, device);
    float[] values = initial.toFloats();
    int[] shape = initial.shape();
    this.work = new SerialDeviceWork<>(ctx, stash, stream, WorkFinished::new);
    work.run(
        ops -> Tensor.of(ops, alloc, "tensor", values, shape),
        (uploaded, err) ->
            () -> {
              if (err != null) {
                throw new IllegalStateException(
                    ctx.getSelf().path() + ": uploading the tensor to " + device + " failed", err);
              }
              tensor = uploaded;
            });
  }

  /** The behavior of a tensor holding {@code initial} on {@code device}; see {@link #spawn}. */
  public static Behavior<Command> create(DeviceId device, HostTensor initial) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(initial, "initial");
    return Behaviors.withStash(
        100, stash -> Behaviors.setup(ctx -> new TensorActor(ctx, stash, device, initial)));
  }

  /** Spawns a tensor actor as a child of {@code ctx} on {@code device}'s pinned dispatcher. */
  public static ActorRef<Command> spawn(
      ActorContext<?> ctx, DeviceId device, HostTensor initial, String name) {
    return GpuExtension.get(ctx.getSystem()).spawn(ctx, create(device, initial), name, device);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkFinished.class, this::onWorkFinished)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onMessage(Share.class, this::onShare)
        .onMessage(OtherShared.class, this::onOtherShared)
        .onMessage(Command.class, this::onCommand)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onWorkFinished(WorkFinished m) {
    work.delivered(m.deliver());
    if (stopWhenDone) {
      return Behaviors.stopped();
    }
    return work.release(this);
  }

  private Behavior<Command> onShare(Share m) {
    if (tensor == null) {
      // Not uploaded yet: answer once it is.
      stash.stash(m);
    } else {
      m.replyTo().tell(new Shared(tensor.buffer().retain(), tensor.shape()));
    }
    return this;
  }

  private Behavior<Command> onCommand(Command c) {
    if (work.deferIfBusy(c)) {
      return this;
    }
    if (c instanceof MatMul m) {
      askOther(c, m.other());
    } else if (c instanceof Add m) {
      askOther(c, m.other());
    } else if (c instanceof ToHost m) {
      int[] shape = tensor.shape();
      run(tensor::toHost, (v, err) -> () -> m.replyTo().tell(err == null
          ? new OnHost(HostTensor.ofFloats(shape, v))
          : new Failed("toHost", err)));
    } else if (c instanceof MigrateTo m) {
      migrate(m);
    }
    return this;
  }

  /** Asks {@code other} for its buffer; busy until the operation completes. */
  private void askOther(Command operation, ActorRef<Command> other) {
    work.hold();
    getContext()
        .ask(
            Shared.class,
            other,
            SHARE_TIMEOUT,
            Share::new,
            (shared, err) -> new OtherShared(operation, shared, err));
  }

  private Behavior<Command> onOtherShared(OtherShared m) {
    String name = m.operation() instanceof MatMul ? "matmul" : "add";
    ActorRef<Result> replyTo =
        m.operation() instanceof MatMul mm ? mm.replyTo() : ((Add) m.operation()).replyTo();
    if (m.error() != null) {
      replyTo.tell(new Failed(name, m.error()));
      return work.release(this);
    }
    Tensor other = Tensor.wrap(m.other().buffer(), m.other().shape());
    Tensor result;
    try {
      result = prepare(name, other);
    } catch (RuntimeException e) {
      other.release();
      replyTo.tell(new Failed(name, e));
      return work.release(this);
    }
    Tensor a = tensor;
    run(
        ops -> {
          if (name.equals("matmul")) {
            int mRows = a.dim(0);
            int k = a.dim(1);
            int n = other.dim(1);
            ops.gemm(false, false, mRows, n, k, 1f, a.buffer(), 0, k, other.buffer(), 0, n, 0f,
                result.buffer(), 0, n);
          } else {
            ops.binary(BinaryOp.ADD, a.buffer(), other.buffer(), result.buffer(), 1,
                Math.toIntExact(a.numel()), Broadcast.NONE);
          }
          return null;
        },
        (v, err) ->
            () -> {
              other.release();
              if (err != null) {
                if (result != a) {
                  result.release();
                }
                replyTo.tell(new Failed(name, err));
                return;
              }
              if (result != a) {
                a.release();
                tensor = result;
              }
              replyTo.tell(new Computed(tensor.shape()));
            });
    return this;
  }

  /** Checks the operands and returns where the result goes (a new tensor for a matmul). */
  private Tensor prepare(String name, Tensor other) {
    if (!other.device().equals(device)) {
      throw new IllegalArgumentException(
          name + ": the other tensor is on " + other.device() + ", this one on " + device
              + "; migrate one of them first");
    }
    if (name.equals("matmul")) {
      if (tensor.rank() != 2 || other.rank() != 2 || tensor.dim(1) != other.dim(0)) {
        throw new IllegalArgumentException(
            "matmul: cannot multiply " + Arrays.toString(tensor.shape()) + " by "
                + Arrays.toString(other.shape()));
      }
      return Tensor.allocate(alloc, "tensor", tensor.dtype(), tensor.dim(0), other.dim(1));
    }
    if (!tensor.sameShape(other)) {
      throw new IllegalArgumentException(
          "add: shapes " + Arrays.toString(tensor.shape()) + " and "
              + Arrays.toString(other.shape()) + " differ");
    }
    return tensor; // in place: out may be a
  }

  private void migrate(MigrateTo m) {
    int[] shape = tensor.shape();
    run(
        tensor::toHost,
        (v, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new Failed("migrate", err));
                return;
              }
              try {
                // A system actor: the tensor must outlive this actor, which stops now.
                ActorRef<Command> moved =
                    getContext()
                        .getSystem()
                        .systemActorOf(
                            create(m.device(), HostTensor.ofFloats(shape, v)),
                            getContext().getSelf().path().name() + "-on-" + m.device().key()
                                + "-" + UUID.randomUUID().toString().substring(0, 8),
                            gpu.props(m.device()));
                m.replyTo().tell(new Migrated(moved, m.device()));
                stopWhenDone = true;
              } catch (RuntimeException e) {
                m.replyTo().tell(new Failed("migrate", e));
              }
            });
  }

  private <T> void run(DeviceStream.Work<T> w, BiFunction<T, Throwable, Runnable> onDone) {
    work.run(w, onDone);
  }

  private Behavior<Command> onPostStop() {
    // A work in flight still uses the buffer: it is freed once the work is done with it.
    work.afterStop(owned::close);
    return this;
  }
}
