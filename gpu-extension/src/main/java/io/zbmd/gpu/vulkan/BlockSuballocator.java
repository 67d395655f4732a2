package io.zbmd.gpu.vulkan;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Carves ranges out of one block of {@code size} bytes: first fit over a free list ordered by
 * offset, neighbours merged on free. Drivers cap the number of {@code vkAllocateMemory} calls (4096
 * on many), so buffers share large blocks. Not thread-safe: {@link VkAllocator} locks.
 */
final class BlockSuballocator {
  private final long size;

  /** Free ranges: offset to length, never adjacent (merged). */
  private final TreeMap<Long, Long> free = new TreeMap<>();

  /** Allocated ranges: offset to length. */
  private final Map<Long, Long> used = new HashMap<>();

  private long usedBytes;

  BlockSuballocator(long size) {
    if (size <= 0) {
      throw new IllegalArgumentException("block size must be > 0, got " + size);
    }
    this.size = size;
    free.put(0L, size);
  }

  /**
   * The offset of {@code bytes} bytes aligned to {@code alignment} (a power of two), or -1 when no
   * free range holds them.
   */
  long allocate(long bytes, long alignment) {
    if (bytes <= 0 || alignment <= 0 || Long.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("bytes " + bytes + ", alignment " + alignment);
    }
    for (Map.Entry<Long, Long> e : free.entrySet()) {
      long start = e.getKey();
      long end = start + e.getValue();
      long at = (start + alignment - 1) & -alignment;
      if (at + bytes <= end) {
        free.remove(start);
        if (at > start) {
          free.put(start, at - start);
        }
        if (at + bytes < end) {
          free.put(at + bytes, end - at - bytes);
        }
        used.put(at, bytes);
        usedBytes += bytes;
        return at;
      }
    }
    return -1;
  }

  /** Returns the range allocated at {@code offset}. */
  void free(long offset) {
    Long bytes = used.remove(offset);
    if (bytes == null) {
      throw new IllegalStateException("no allocation at offset " + offset + " of this block");
    }
    usedBytes -= bytes;
    long start = offset;
    long end = offset + bytes;
    Map.Entry<Long, Long> before = free.floorEntry(start);
    if (before != null && before.getKey() + before.getValue() == start) {
      start = before.getKey();
      free.remove(start);
    }
    Long after = free.get(end);
    if (after != null) {
      free.remove(end);
      end += after;
    }
    free.put(start, end - start);
  }

  long size() {
    return size;
  }

  long usedBytes() {
    return usedBytes;
  }

  boolean isEmpty() {
    return used.isEmpty();
  }

  int allocations() {
    return used.size();
  }

  /** The largest free range, in bytes. */
  long largestFree() {
    long max = 0;
    for (long len : free.values()) {
      max = Math.max(max, len);
    }
    return max;
  }
}
