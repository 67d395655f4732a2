package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The free-list arithmetic the device memory blocks are carved with; no Vulkan needed. */
class BlockSuballocatorTest {
  @Test
  void firstFitWithAlignment() {
    BlockSuballocator b = new BlockSuballocator(1024);
    assertEquals(0, b.allocate(100, 64));
    assertEquals(128, b.allocate(10, 64)); // 100 rounded up to the next multiple of 64
    assertEquals(100, b.allocate(2, 1), "first fit: the gap the alignment left");
    assertEquals(112, b.usedBytes());
    assertEquals(3, b.allocations());
  }

  @Test
  void freedSpaceIsReusedAndNeighboursMerge() {
    BlockSuballocator b = new BlockSuballocator(300);
    long a = b.allocate(100, 4);
    long c = b.allocate(100, 4);
    long d = b.allocate(100, 4);
    assertEquals(-1, b.allocate(1, 4), "full");
    b.free(c);
    assertEquals(c, b.allocate(100, 4), "the hole is reused");
    b.free(a);
    b.free(c);
    assertEquals(200, b.largestFree(), "a and c merged into one range");
    assertEquals(0, b.allocate(200, 4));
    b.free(0);
    b.free(d);
    assertTrue(b.isEmpty());
    assertEquals(300, b.largestFree(), "all merged back");
  }

  @Test
  void alignmentGapsAreKeptFree() {
    BlockSuballocator b = new BlockSuballocator(256);
    assertEquals(0, b.allocate(4, 4));
    assertEquals(64, b.allocate(64, 64));
    assertEquals(4, b.allocate(60, 4), "the gap before the aligned range is still free");
    assertEquals(128, b.largestFree());
  }

  @Test
  void misuseIsRejected() {
    BlockSuballocator b = new BlockSuballocator(64);
    assertThrows(IllegalArgumentException.class, () -> b.allocate(8, 3));
    assertThrows(IllegalStateException.class, () -> b.free(8));
    assertEquals(-1, b.allocate(65, 1));
  }
}
