package io.zbmd.gpu.vulkan;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;

/**
 * Vulkan device memory: a {@code VkBuffer} bound to a range of a device memory block, zeroed at
 * allocation. Freeing waits for the work already submitted: the buffer is destroyed once the GPU is
 * done with every submission that may use it. A buffer that becomes unreachable without being
 * released is reclaimed the same way (after the leak detector has seen it).
 */
final class VulkanBuffer extends DeviceBuffer {
  private final VulkanDevice owner;
  private final VkAllocator.Allocation allocation;
  private final Tracker tracker;
  // For a slice: the buffer it holds a reference on, and its first element within the VkBuffer.
  private final VulkanBuffer parent;
  private final long base;

  /** Reaches the allocation of a buffer the garbage collector found unreachable. */
  static final class Tracker extends PhantomReference<VulkanBuffer> {
    final VkAllocator.Allocation allocation;

    Tracker(VulkanBuffer referent, ReferenceQueue<VulkanBuffer> queue) {
      super(referent, queue);
      this.allocation = referent.allocation;
    }
  }

  VulkanBuffer(
      DeviceId device,
      DType dtype,
      long elements,
      String ownerName,
      VulkanDevice owner,
      VkAllocator.Allocation allocation,
      ReferenceQueue<VulkanBuffer> collected) {
    super(device, dtype, elements, ownerName);
    this.owner = owner;
    this.allocation = allocation;
    this.tracker = new Tracker(this, collected);
    this.parent = null;
    this.base = 0;
  }

  private VulkanBuffer(VulkanBuffer parent, long offset, long count, String ownerName) {
    super(parent.device(), parent.dtype(), count, ownerName);
    this.owner = parent.owner;
    this.allocation = parent.allocation;
    this.tracker = null;
    this.parent = parent;
    this.base = parent.base + offset;
  }

  @Override
  protected DeviceBuffer newSlice(long offset, long count, String ownerName) {
    return new VulkanBuffer(this, offset, count, ownerName);
  }

  /**
   * Where element {@code element} of this buffer lies in its {@code VkBuffer}, in bytes (a slice
   * starts inside its root's; {@link DeviceBuffer#SLICE_ALIGNMENT} keeps that start bindable).
   */
  long byteOffset(long element) {
    return (base + element) * 4;
  }

  /** The {@code VkBuffer}, checked live. */
  long handle() {
    checkLive();
    return allocation.buffer;
  }

  VkAllocator.Allocation allocation() {
    return allocation;
  }

  Tracker tracker() {
    return tracker;
  }

  @Override
  protected void freeStorage() {
    if (parent != null) {
      parent.release();
      return;
    }
    owner.free(this);
  }
}
