package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.OwnedBuffers;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where tensors get their device memory, and how they give it back: one device, one owner. Layers,
 * losses and optimizers take an allocator when they are built and allocate their parameters and
 * scratch tensors from it, so the same code runs on a bare {@link Backend} (tests), under {@link
 * GpuExtension}'s accounting (an actor or a named component) or through an actor's {@link
 * OwnedBuffers}.
 *
 * <pre>{@code
 * Allocator alloc = Allocator.of(GpuExtension.get(system), device, ctx.getSelf());
 * Tensor x = Tensor.allocate(alloc, "input", DType.FLOAT32, 64, 784);
 * ...
 * x.release();
 * }</pre>
 *
 * <p>Allocation may happen inside a {@link io.zbmd.gpu.DeviceStream.Work} (layers allocate their
 * caches lazily, on the first forward pass of a shape); backends allocate from any thread.
 */
public interface Allocator {
  /** The device every buffer of this allocator lives on. */
  DeviceId device();

  /**
   * A new buffer of {@code elements} values with one reference, the caller's. Its content is
   * unspecified.
   *
   * @param what what the buffer holds (e.g. {@code fc1.weight}), recorded with {@link
   *     DeviceBuffer#touch} so that a leak report names it
   * @throws io.zbmd.gpu.DeviceOutOfMemoryException if the device cannot hold it
   */
  DeviceBuffer allocate(DType dtype, long elements, String what);

  /** Gives back the reference {@link #allocate} handed out. */
  default void release(DeviceBuffer buffer) {
    buffer.release();
  }

  /**
   * Straight from a backend, owned by {@code owner}: for tests and tools without an actor system.
   */
  static Allocator of(Backend backend, DeviceId device, String owner) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(owner, "owner");
    return new SimpleAllocator(device, (dtype, n) -> backend.allocate(device, dtype, n, owner));
  }

  /** Through {@link GpuExtension} (accounted and limit-checked), owned by a named component. */
  static Allocator of(GpuExtension gpu, DeviceId device, String owner) {
    Objects.requireNonNull(gpu, "gpu");
    Objects.requireNonNull(owner, "owner");
    return new SimpleAllocator(device, (dtype, n) -> gpu.allocate(device, dtype, n, owner));
  }

  /**
   * Through {@link GpuExtension}, owned by the actor {@code owner}: the extension warns if the
   * actor stops while buffers it allocated are still live.
   */
  static Allocator of(GpuExtension gpu, DeviceId device, ActorRef<?> owner) {
    Objects.requireNonNull(gpu, "gpu");
    Objects.requireNonNull(owner, "owner");
    return new SimpleAllocator(device, (dtype, n) -> gpu.allocate(device, dtype, n, owner));
  }

  /**
   * Through an actor's {@link OwnedBuffers}: buffers are released through it too, so whatever a
   * module still holds when the actor stops goes with {@code owned.close()}.
   */
  static Allocator of(OwnedBuffers owned, DeviceId device) {
    Objects.requireNonNull(owned, "owned");
    Objects.requireNonNull(device, "device");
    return new Allocator() {
      @Override
      public DeviceId device() {
        return device;
      }

      @Override
      public DeviceBuffer allocate(DType dtype, long elements, String what) {
        return owned.allocate(device, dtype, elements).touch(what);
      }

      @Override
      public void release(DeviceBuffer buffer) {
        owned.release(buffer);
      }

      @Override
      public String toString() {
        return "Allocator(" + device + ", owned buffers)";
      }
    };
  }
}
