package io.zbmd.gpu;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device buffers one actor holds a reference to, released together in {@code PostStop}: the way
 * an actor frees what it owns. It holds one reference per {@link #allocate} and per {@link #adopt};
 * {@link #release} gives one back early; {@link #close} gives back all that remain. Handing a
 * buffer to another actor follows Netty's rules: the sender sends {@code buffer.retain()}, the
 * receiver {@link #adopt}s it (or releases it when done). Used from its actor only (not
 * thread-safe), as actor state is.
 *
 * <pre>{@code
 * Behaviors.setup(ctx -> {
 *   OwnedBuffers owned = OwnedBuffers.create(GpuExtension.get(ctx.getSystem()), ctx);
 *   DeviceBuffer weights = owned.allocate(device, DType.FLOAT32, 1 << 20);
 *   return Behaviors.receive(Command.class)
 *       .onMessage(Share.class, m -> {
 *         m.replyTo().tell(new Shared(weights.retain())); // the receiver releases it
 *         return Behaviors.same();
 *       })
 *       .onSignal(PostStop.class, s -> { owned.close(); return Behaviors.same(); })
 *       .build();
 * });
 * // the receiver: owned.adopt(shared.buffer()); its own close() releases that reference.
 * }</pre>
 */
public final class OwnedBuffers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OwnedBuffers.class);

  private final GpuExtension gpu;
  private final ActorRef<?> owner;
  // Identity: one buffer adopted twice holds two references.
  private final Map<DeviceBuffer, Integer> held = new IdentityHashMap<>();
  private boolean closed;

  private OwnedBuffers(GpuExtension gpu, ActorRef<?> owner) {
    this.gpu = Objects.requireNonNull(gpu, "gpu");
    this.owner = Objects.requireNonNull(owner, "owner");
  }

  /** The buffers of the actor of {@code ctx}. */
  public static OwnedBuffers create(GpuExtension gpu, ActorContext<?> ctx) {
    return new OwnedBuffers(gpu, ctx.getSelf());
  }

  /** The buffers of the actor of {@code ctx}, on {@code ctx}'s system's extension. */
  public static OwnedBuffers create(ActorContext<?> ctx) {
    return create(GpuExtension.get(ctx.getSystem()), ctx);
  }

  /** Allocates through {@link GpuExtension#allocate}, owned by this actor, and holds it. */
  public DeviceBuffer allocate(DeviceId device, DType dtype, long elements) {
    checkOpen();
    DeviceBuffer b = gpu.allocate(device, dtype, elements, owner);
    held.merge(b, 1, Integer::sum);
    return b;
  }

  /**
   * Takes over one reference to {@code buffer} (one another actor {@code retain()}ed for us), to be
   * released by {@link #release} or {@link #close}. Returns it.
   */
  public DeviceBuffer adopt(DeviceBuffer buffer) {
    checkOpen();
    buffer.checkLive();
    held.merge(buffer, 1, Integer::sum);
    return buffer;
  }

  /**
   * Gives back one held reference to {@code buffer} now; returns whether that freed it.
   *
   * @throws IllegalArgumentException if no reference to it is held here
   */
  public boolean release(DeviceBuffer buffer) {
    Integer n = held.get(buffer);
    if (n == null) {
      throw new IllegalArgumentException(owner.path() + " holds no reference to " + buffer);
    }
    if (n == 1) {
      held.remove(buffer);
    } else {
      held.put(buffer, n - 1);
    }
    return buffer.release();
  }

  /** Distinct buffers held. */
  public int size() {
    return held.size();
  }

  /** Bytes of the distinct buffers held. */
  public long bytes() {
    return held.keySet().stream().mapToLong(DeviceBuffer::byteSize).sum();
  }

  /** The distinct buffers held, in no particular order. */
  public List<DeviceBuffer> buffers() {
    return List.copyOf(held.keySet());
  }

  /**
   * Releases every reference still held (call it in {@code PostStop}). Idempotent. A buffer already
   * freed behind our back (someone released a reference they did not own) is skipped with a
   * warning.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Map.Entry<DeviceBuffer, Integer>> all = new ArrayList<>(held.entrySet());
    held.clear();
    for (Map.Entry<DeviceBuffer, Integer> e : all) {
      DeviceBuffer b = e.getKey();
      for (int i = 0; i < e.getValue(); i++) {
        try {
          b.release();
        } catch (IllegalStateException alreadyFreed) {
          log.warn(
              "{}: {} was freed by someone else before this owner let go; a reference was "
                  + "released twice",
              owner.path(),
              b);
          break;
        }
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("OwnedBuffers of " + owner.path() + " is closed");
    }
  }
}
