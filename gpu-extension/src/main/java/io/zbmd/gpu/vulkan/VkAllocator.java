package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
import static org.lwjgl.vulkan.VK10.VK_BUFFER_USAGE_TRANSFER_DST_BIT;
import static org.lwjgl.vulkan.VK10.VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
import static org.lwjgl.vulkan.VK10.VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
import static org.lwjgl.vulkan.VK10.VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
import static org.lwjgl.vulkan.VK10.VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
import static org.lwjgl.vulkan.VK10.VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
import static org.lwjgl.vulkan.VK10.VK_SHARING_MODE_EXCLUSIVE;
import static org.lwjgl.vulkan.VK10.VK_SUCCESS;
import static org.lwjgl.vulkan.VK10.VK_WHOLE_SIZE;
import static org.lwjgl.vulkan.VK10.vkAllocateMemory;
import static org.lwjgl.vulkan.VK10.vkBindBufferMemory;
import static org.lwjgl.vulkan.VK10.vkCreateBuffer;
import static org.lwjgl.vulkan.VK10.vkDestroyBuffer;
import static org.lwjgl.vulkan.VK10.vkFreeMemory;
import static org.lwjgl.vulkan.VK10.vkGetBufferMemoryRequirements;
import static org.lwjgl.vulkan.VK10.vkMapMemory;

import io.zbmd.gpu.Bytes;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkBufferCreateInfo;
import org.lwjgl.vulkan.VkMemoryAllocateInfo;
import org.lwjgl.vulkan.VkMemoryRequirements;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryProperties;

/**
 * Device memory for one device: each buffer is its own {@code VkBuffer}, bound to a range carved
 * out of a large {@code vkAllocateMemory} block ({@code memory-block-size}; a buffer larger than
 * half a block gets a block of its own). Host-visible blocks stay mapped. A block that empties is
 * freed, except one regular block per memory type kept for reuse. With {@code memory-budget}, no
 * block is allocated beyond it: the allocation fails with {@link DeviceOutOfMemoryException}.
 *
 * <p>Freeing here is immediate: the device defers it until the GPU is done with the buffer.
 */
final class VkAllocator implements AutoCloseable {
  /** What a buffer is for, which decides its memory type. */
  enum Use {
    /** Operands of the ops: device-local memory. */
    DEVICE,
    /** Staging for transfers: host-visible, coherent memory the host reads and writes. */
    STAGING
  }

  /** One {@code vkAllocateMemory}. */
  static final class Block {
    final long memory;
    final int type;
    final long size;

    /** The mapped address of the whole block, or 0 when not host-visible and coherent. */
    final long mapped;

    /** A block made for one large buffer, freed with it. */
    final boolean dedicated;

    final BlockSuballocator space;

    Block(long memory, int type, long size, long mapped, boolean dedicated) {
      this.memory = memory;
      this.type = type;
      this.size = size;
      this.mapped = mapped;
      this.dedicated = dedicated;
      this.space = new BlockSuballocator(size);
    }
  }

  /** A buffer and the range of a block it is bound to. */
  static final class Allocation {
    final long buffer;
    final Block block;
    final long offset;
    final long size;
    final Use use;

    Allocation(long buffer, Block block, long offset, long size, Use use) {
      this.buffer = buffer;
      this.block = block;
      this.offset = offset;
      this.size = size;
      this.use = use;
    }

    /** The host address of the buffer's memory, or 0 when it is not host-visible. */
    long address() {
      return block.mapped == 0 ? 0 : block.mapped + offset;
    }
  }

  private final VulkanDevice device;
  private final int[] typeFlags;
  private final int[] typeHeap;
  private final long[] heapSize;
  private final long blockSize;
  private final long budget;
  private final List<Block> blocks = new ArrayList<>();
  private long blockBytes;
  private long usedBytes;
  private long deviceBytes;
  private int liveAllocations;

  VkAllocator(
      VulkanDevice device, VkPhysicalDeviceMemoryProperties props, long blockSize, long budget) {
    this.device = device;
    this.typeFlags = new int[props.memoryTypeCount()];
    this.typeHeap = new int[props.memoryTypeCount()];
    for (int i = 0; i < typeFlags.length; i++) {
      typeFlags[i] = props.memoryTypes(i).propertyFlags();
      typeHeap[i] = props.memoryTypes(i).heapIndex();
    }
    this.heapSize = new long[props.memoryHeapCount()];
    for (int i = 0; i < heapSize.length; i++) {
      heapSize[i] = props.memoryHeaps(i).size();
    }
    this.blockSize = blockSize;
    this.budget = budget;
  }

  /**
   * A buffer of {@code bytes} for {@code use}, bound to memory.
   *
   * @throws DeviceOutOfMemoryException beyond the budget or when the driver is out of memory
   */
  Allocation allocate(long bytes, Use use) {
    int usage =
        VK_BUFFER_USAGE_TRANSFER_SRC_BIT
            | VK_BUFFER_USAGE_TRANSFER_DST_BIT
            | (use == Use.DEVICE ? VK_BUFFER_USAGE_STORAGE_BUFFER_BIT : 0);
    try (MemoryStack s = stackPush()) {
      VkBufferCreateInfo info =
          VkBufferCreateInfo.calloc(s)
              .sType$Default()
              .size(bytes)
              .usage(usage)
              .sharingMode(VK_SHARING_MODE_EXCLUSIVE);
      LongBuffer lp = s.mallocLong(1);
      int r = vkCreateBuffer(device.vk(), info, null, lp);
      if (r != VK_SUCCESS) {
        throw device.failure(r, "vkCreateBuffer of " + Bytes.format(bytes), bytes);
      }
      long buffer = lp.get(0);
      device.objects().created("VkBuffer");
      try {
        VkMemoryRequirements req = VkMemoryRequirements.malloc(s);
        vkGetBufferMemoryRequirements(device.vk(), buffer, req);
        int type = memoryType(req.memoryTypeBits(), use);
        Allocation a = place(buffer, req.size(), Math.max(1, req.alignment()), type, bytes, use);
        r = vkBindBufferMemory(device.vk(), buffer, a.block.memory, a.offset);
        if (r != VK_SUCCESS) {
          release(a);
          throw device.failure(r, "vkBindBufferMemory", bytes);
        }
        return a;
      } catch (RuntimeException | Error e) {
        vkDestroyBuffer(device.vk(), buffer, null);
        device.objects().destroyed("VkBuffer");
        throw e;
      }
    }
  }

  /** Destroys the buffer and returns its range; the GPU must be done with it. */
  void free(Allocation a) {
    vkDestroyBuffer(device.vk(), a.buffer, null);
    device.objects().destroyed("VkBuffer");
    release(a);
  }

  private synchronized Allocation place(
      long buffer, long size, long alignment, int type, long asked, Use use) {
    long alignedSize = (size + alignment - 1) / alignment * alignment;
    if (alignedSize <= blockSize / 2) {
      for (Block b : blocks) {
        if (b.type == type && !b.dedicated) {
          long at = b.space.allocate(size, alignment);
          if (at >= 0) {
            return taken(buffer, b, at, size, use);
          }
        }
      }
    }
    boolean dedicated = alignedSize > blockSize / 2;
    long want = dedicated ? alignedSize : blockSize;
    if (budget > 0 && blockBytes + want > budget) {
      if (!dedicated && blockBytes + alignedSize <= budget) {
        // Not a whole block, but this buffer still fits the budget: a block of its size.
        want = alignedSize;
        dedicated = true;
      } else {
        throw new DeviceOutOfMemoryException(
            device.id(),
            asked,
            Math.max(0, budget - usedBytes),
            VulkanSettings.PATH
                + ".memory-budget of "
                + Bytes.format(budget)
                + " reached ("
                + Bytes.format(blockBytes)
                + " in "
                + blocks.size()
                + " blocks)");
      }
    }
    Block b = newBlock(type, want, dedicated, asked);
    if (b == null && want > alignedSize) {
      b = newBlock(type, alignedSize, true, asked); // the driver could not give a whole block
    }
    if (b == null) {
      throw new DeviceOutOfMemoryException(
          device.id(),
          asked,
          Math.max(0, heapSize[typeHeap[type]] - usedBytes),
          "vkAllocateMemory of " + Bytes.format(want) + " returned out of memory");
    }
    long at = b.space.allocate(size, alignment);
    return taken(buffer, b, at, size, use);
  }

  private Allocation taken(long buffer, Block b, long at, long size, Use use) {
    usedBytes += size;
    if (use == Use.DEVICE) {
      deviceBytes += size;
    }
    liveAllocations++;
    return new Allocation(buffer, b, at, size, use);
  }

  /** A new block, or null when the driver is out of memory. */
  private Block newBlock(int type, long size, boolean dedicated, long asked) {
    try (MemoryStack s = stackPush()) {
      VkMemoryAllocateInfo info =
          VkMemoryAllocateInfo.calloc(s).sType$Default().allocationSize(size).memoryTypeIndex(type);
      LongBuffer lp = s.mallocLong(1);
      int r = vkAllocateMemory(device.vk(), info, null, lp);
      if (Vk.isOutOfMemory(r)) {
        return null;
      }
      if (r != VK_SUCCESS) {
        throw device.failure(r, "vkAllocateMemory of " + Bytes.format(size), asked);
      }
      long memory = lp.get(0);
      device.objects().created("VkDeviceMemory");
      long mapped = 0;
      // Mapped only when coherent: host writes then need no flush (staging is always coherent).
      int hostCoherent = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      if ((typeFlags[type] & hostCoherent) == hostCoherent) {
        PointerBuffer pp = s.mallocPointer(1);
        r = vkMapMemory(device.vk(), memory, 0, VK_WHOLE_SIZE, 0, pp);
        if (r != VK_SUCCESS) {
          vkFreeMemory(device.vk(), memory, null);
          device.objects().destroyed("VkDeviceMemory");
          throw device.failure(r, "vkMapMemory of " + Bytes.format(size), asked);
        }
        mapped = pp.get(0);
      }
      Block b = new Block(memory, type, size, mapped, dedicated);
      blocks.add(b);
      blockBytes += size;
      return b;
    }
  }

  private synchronized void release(Allocation a) {
    a.block.space.free(a.offset);
    usedBytes -= a.size;
    if (a.use == Use.DEVICE) {
      deviceBytes -= a.size;
    }
    liveAllocations--;
    Block b = a.block;
    if (!b.space.isEmpty()) {
      return;
    }
    boolean anotherEmpty =
        blocks.stream()
            .anyMatch(o -> o != b && o.type == b.type && !o.dedicated && o.space.isEmpty());
    if (b.dedicated || anotherEmpty) {
      freeBlock(b);
    }
  }

  private void freeBlock(Block b) {
    blocks.remove(b);
    blockBytes -= b.size;
    vkFreeMemory(device.vk(), b.memory, null); // also unmaps
    device.objects().destroyed("VkDeviceMemory");
  }

  /**
   * The memory type for {@code use} among {@code allowed}: device-local and not host-visible first
   * for operands (host-visible device memory is scarce on discrete GPUs), host-visible and coherent
   * (cached first) for staging.
   */
  private int memoryType(int allowed, Use use) {
    int best = -1;
    int bestScore = Integer.MAX_VALUE;
    for (int i = 0; i < typeFlags.length; i++) {
      if ((allowed & (1 << i)) == 0) {
        continue;
      }
      int f = typeFlags[i];
      boolean local = (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) != 0;
      boolean visible = (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
      boolean coherent = (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
      boolean cached = (f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) != 0;
      int score;
      if (use == Use.DEVICE) {
        score = local ? (visible ? 1 : 0) : 2;
      } else {
        if (!visible || !coherent) {
          continue;
        }
        score = cached ? 0 : 1;
      }
      if (score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    if (best < 0) {
      throw new IllegalStateException(
          device.id()
              + ": no memory type for "
              + use
              + " buffers among "
              + Integer.toBinaryString(allowed));
    }
    return best;
  }

  /** Bytes of live buffers, staging included. */
  synchronized long usedBytes() {
    return usedBytes;
  }

  /** Bytes of live device buffers (the ops' operands, not staging). */
  synchronized long deviceBytes() {
    return deviceBytes;
  }

  /** Bytes of all blocks allocated from the driver. */
  synchronized long blockBytes() {
    return blockBytes;
  }

  synchronized int blockCount() {
    return blocks.size();
  }

  synchronized int liveAllocations() {
    return liveAllocations;
  }

  /** The device-local heap size, or the budget when one is set and smaller. */
  long capacity(long heap) {
    return budget > 0 ? Math.min(budget, heap) : heap;
  }

  /** Frees every block; buffers must be destroyed first. */
  @Override
  public synchronized void close() {
    for (Block b : List.copyOf(blocks)) {
      freeBlock(b);
    }
  }
}
