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
    owner.free(this);
  }
}
