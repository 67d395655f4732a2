package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.VK_COMMAND_BUFFER_LEVEL_PRIMARY;
import static org.lwjgl.vulkan.VK10.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
import static org.lwjgl.vulkan.VK10.VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
import static org.lwjgl.vulkan.VK10.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
import static org.lwjgl.vulkan.VK10.VK_SUCCESS;
import static org.lwjgl.vulkan.VK10.vkAllocateCommandBuffers;
import static org.lwjgl.vulkan.VK10.vkAllocateDescriptorSets;
import static org.lwjgl.vulkan.VK10.vkBeginCommandBuffer;
import static org.lwjgl.vulkan.VK10.vkCreateCommandPool;
import static org.lwjgl.vulkan.VK10.vkCreateDescriptorPool;
import static org.lwjgl.vulkan.VK10.vkCreateFence;
import static org.lwjgl.vulkan.VK10.vkDestroyCommandPool;
import static org.lwjgl.vulkan.VK10.vkDestroyDescriptorPool;
import static org.lwjgl.vulkan.VK10.vkDestroyFence;
import static org.lwjgl.vulkan.VK10.vkResetCommandPool;
import static org.lwjgl.vulkan.VK10.vkResetDescriptorPool;
import static org.lwjgl.vulkan.VK10.vkResetFences;

import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkCommandBufferAllocateInfo;
import org.lwjgl.vulkan.VkCommandBufferBeginInfo;
import org.lwjgl.vulkan.VkCommandPoolCreateInfo;
import org.lwjgl.vulkan.VkDescriptorPoolCreateInfo;
import org.lwjgl.vulkan.VkDescriptorPoolSize;
import org.lwjgl.vulkan.VkDescriptorSetAllocateInfo;
import org.lwjgl.vulkan.VkFenceCreateInfo;

/**
 * What one submission needs, reused from submission to submission: a command pool with its one
 * command buffer, a fence, descriptor pools (grown when a Work records many dispatches, reset
 * between submissions, so descriptor sets are reused rather than allocated without bound), and
 * staging memory for host transfers with the copies to host arrays that run once the fence signals.
 * Recorded and reset on the stream thread; its completion actions run on the fence waiter, which
 * then hands the frame back.
 */
final class Frame {
  private static final int SETS_PER_POOL = 64;

  /**
   * Enough storage-buffer descriptors for every set of the pool to bind the most any kernel does.
   */
  private static final int DESCRIPTORS_PER_POOL = SETS_PER_POOL * 4;

  private static final long STAGING_CHUNK = 1L << 20;

  /** Staging kept across submissions; a larger chunk (one big transfer) is freed after use. */
  private static final long STAGING_KEPT = 4L << 20;

  /** A host-visible range for a transfer. */
  record Staging(long buffer, long offset, long address) {}

  private final VulkanDevice device;
  final long commandPool;
  final VkCommandBuffer commands;
  final long fence;
  private final List<Long> descriptorPools = new ArrayList<>();
  private int pool;
  private int setsInPool;
  private final List<VkAllocator.Allocation> chunks = new ArrayList<>();
  private int chunk;
  private long chunkUsed;
  private final List<Runnable> afterCompletion = new ArrayList<>();

  /** This submission's serial. */
  long serial;

  /** Commands recorded since {@link #begin}. */
  int recorded;

  /** Whether a copy to the host was recorded (the end then needs a barrier to host reads). */
  boolean hostReads;

  /** Whether the fence was submitted (and must be reset before the next use). */
  boolean fenceSubmitted;

  Frame(VulkanDevice device) {
    this.device = device;
    try (MemoryStack s = stackPush()) {
      LongBuffer lp = s.mallocLong(1);
      VkCommandPoolCreateInfo poolInfo =
          VkCommandPoolCreateInfo.calloc(s)
              .sType$Default()
              .flags(VK_COMMAND_POOL_CREATE_TRANSIENT_BIT)
              .queueFamilyIndex(device.queueFamily());
      device.check(vkCreateCommandPool(device.vk(), poolInfo, null, lp), "vkCreateCommandPool");
      commandPool = lp.get(0);
      device.objects().created("VkCommandPool");
      try {
        VkCommandBufferAllocateInfo allocInfo =
            VkCommandBufferAllocateInfo.calloc(s)
                .sType$Default()
                .commandPool(commandPool)
                .level(VK_COMMAND_BUFFER_LEVEL_PRIMARY)
                .commandBufferCount(1);
        PointerBuffer pp = s.mallocPointer(1);
        device.check(
            vkAllocateCommandBuffers(device.vk(), allocInfo, pp), "vkAllocateCommandBuffers");
        commands = new VkCommandBuffer(pp.get(0), device.vk());
        VkFenceCreateInfo fenceInfo = VkFenceCreateInfo.calloc(s).sType$Default();
        device.check(vkCreateFence(device.vk(), fenceInfo, null, lp), "vkCreateFence");
        fence = lp.get(0);
        device.objects().created("VkFence");
      } catch (RuntimeException e) {
        vkDestroyCommandPool(device.vk(), commandPool, null);
        device.objects().destroyed("VkCommandPool");
        throw e;
      }
    }
  }

  /** Makes the frame ready for a new submission (stream thread). */
  void reset() {
    device.check(vkResetCommandPool(device.vk(), commandPool, 0), "vkResetCommandPool");
    for (int i = 0; i < descriptorPools.size() && i <= pool; i++) { // the pools used last time
      device.check(
          vkResetDescriptorPool(device.vk(), descriptorPools.get(i), 0), "vkResetDescriptorPool");
    }
    pool = 0;
    setsInPool = 0;
    if (fenceSubmitted) {
      device.check(vkResetFences(device.vk(), fence), "vkResetFences");
      fenceSubmitted = false;
    }
    for (int i = chunks.size() - 1; i >= 0; i--) {
      if (i > 0 || chunks.get(i).size > STAGING_KEPT) {
        device.memory().free(chunks.remove(i));
      }
    }
    chunk = 0;
    chunkUsed = 0;
    afterCompletion.clear();
    recorded = 0;
    hostReads = false;
  }

  void begin() {
    try (MemoryStack s = stackPush()) {
      VkCommandBufferBeginInfo info =
          VkCommandBufferBeginInfo.calloc(s)
              .sType$Default()
              .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
      device.check(vkBeginCommandBuffer(commands, info), "vkBeginCommandBuffer");
    }
  }

  /**
   * A descriptor set of {@code layout} from this frame's pools, valid until the next reset. The
   * sets taken from each pool are counted: Vulkan 1.0 makes allocating from an exhausted pool
   * invalid usage rather than an error code, so a full pool is never asked.
   */
  long descriptorSet(long layout) {
    if (setsInPool == SETS_PER_POOL) {
      pool++; // the next pool (all pools past the current one are reset), or a new one
      setsInPool = 0;
    }
    try (MemoryStack s = stackPush()) {
      if (pool == descriptorPools.size()) {
        descriptorPools.add(newDescriptorPool(s));
      }
      VkDescriptorSetAllocateInfo info =
          VkDescriptorSetAllocateInfo.calloc(s)
              .sType$Default()
              .descriptorPool(descriptorPools.get(pool))
              .pSetLayouts(s.longs(layout));
      LongBuffer lp = s.mallocLong(1);
      int r = vkAllocateDescriptorSets(device.vk(), info, lp);
      if (r != VK_SUCCESS) {
        throw device.failure(r, "vkAllocateDescriptorSets", 0);
      }
      setsInPool++;
      return lp.get(0);
    }
  }

  private long newDescriptorPool(MemoryStack s) {
    VkDescriptorPoolSize.Buffer sizes = VkDescriptorPoolSize.calloc(1, s);
    sizes.get(0).type(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER).descriptorCount(DESCRIPTORS_PER_POOL);
    VkDescriptorPoolCreateInfo info =
        VkDescriptorPoolCreateInfo.calloc(s)
            .sType$Default()
            .maxSets(SETS_PER_POOL)
            .pPoolSizes(sizes);
    LongBuffer lp = s.mallocLong(1);
    device.check(vkCreateDescriptorPool(device.vk(), info, null, lp), "vkCreateDescriptorPool");
    device.objects().created("VkDescriptorPool");
    return lp.get(0);
  }

  /** {@code bytes} of staging memory for this submission. */
  Staging staging(long bytes) {
    while (chunk < chunks.size()) {
      VkAllocator.Allocation c = chunks.get(chunk);
      long at = (chunkUsed + 15) & ~15L;
      if (at + bytes <= c.size) {
        chunkUsed = at + bytes;
        return new Staging(c.buffer, at, c.address() + at);
      }
      chunk++;
      chunkUsed = 0;
    }
    VkAllocator.Allocation c =
        device.memory().allocate(Math.max(STAGING_CHUNK, bytes), VkAllocator.Use.STAGING);
    chunks.add(c);
    chunk = chunks.size() - 1;
    chunkUsed = bytes;
    return new Staging(c.buffer, 0, c.address());
  }

  /** Runs on the fence waiter once the submission completed (copies into host arrays). */
  void afterCompletion(Runnable action) {
    afterCompletion.add(action);
  }

  void runAfterCompletion() {
    for (Runnable r : afterCompletion) {
      r.run();
    }
  }

  void destroy() {
    for (long p : descriptorPools) {
      vkDestroyDescriptorPool(device.vk(), p, null);
      device.objects().destroyed("VkDescriptorPool");
    }
    descriptorPools.clear();
    for (VkAllocator.Allocation c : chunks) {
      device.memory().free(c);
    }
    chunks.clear();
    vkDestroyFence(device.vk(), fence, null);
    device.objects().destroyed("VkFence");
    vkDestroyCommandPool(device.vk(), commandPool, null); // frees its command buffer
    device.objects().destroyed("VkCommandPool");
  }
}
