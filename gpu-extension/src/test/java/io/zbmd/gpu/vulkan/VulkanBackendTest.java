package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.KernelException;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.UnaryOp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is particular to the Vulkan backend: the shader cache across starts, memory (sub-allocation,
 * reuse, zeroing, deferred frees, the budget, buffers larger than a binding), the stream (many
 * dispatches and submissions, failures), device loss, and a close that leaves no Vulkan object.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VulkanBackendTest {
  private static final DeviceId VK0 = new DeviceId("vulkan", 0);
  private VulkanBackend backend;
  private DeviceStream stream;

  @BeforeAll
  void open() {
    backend = VulkanTests.backend("");
    stream = backend.stream(VK0);
  }

  @AfterAll
  void close() {
    if (backend != null) {
      VulkanTests.close(backend);
    }
  }

  private static <T> T await(DeviceStream stream, DeviceStream.Work<T> work) {
    try {
      return stream.submit(work).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("stage failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Throwable failure(DeviceStream stream, DeviceStream.Work<?> work) {
    try {
      stream.submit(work).toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw new AssertionError("the stage should have failed");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private float[] download(DeviceBuffer b) {
    float[] out = new float[(int) b.elements()];
    await(
        stream,
        ops -> {
          ops.copyToHost(b, 0, out, 0, out.length);
          return null;
        });
    return out;
  }

  // ---- shader cache ----

  @Test
  void aSecondStartCompilesNoShader(@TempDir Path dir) {
    String config = "shader-cache-dir = \"" + dir.toString().replace("\\", "/") + "\"";
    for (int start = 1; start <= 2; start++) {
      VulkanBackend b = VulkanTests.backend(config);
      try {
        DeviceBuffer x = b.allocate(VK0, DType.FLOAT32, 16, "test");
        DeviceBuffer y = b.allocate(VK0, DType.FLOAT32, 16, "test");
        await(
            b.stream(VK0),
            ops -> {
              ops.unary(UnaryOp.EXP, x, y, 16);
              ops.gemm(false, false, 4, 4, 4, 1f, x, 0, 4, x, 0, 4, 0f, y, 0, 4);
              return null;
            });
        if (start == 1) {
          assertEquals(2, b.shaders().compilations(), "unary and gemm, compiled on first use");
        } else {
          assertEquals(0, b.shaders().compilations(), "the second start compiles nothing");
          assertEquals(2, b.shaders().diskLoads());
        }
      } finally {
        VulkanTests.close(b);
      }
    }
  }

  // ---- memory ----

  @Test
  void freedSpaceIsReusedWithinABlock() {
    VkAllocator memory = backend.device(VK0).memory();
    DeviceBuffer keep = backend.allocate(VK0, DType.FLOAT32, 1000, "test");
    DeviceBuffer a = backend.allocate(VK0, DType.FLOAT32, 1000, "test");
    VkAllocator.Allocation first = ((VulkanBuffer) a).allocation();
    int blocks = memory.blockCount();
    long used = memory.deviceBytes();
    a.release();
    assertEquals(used - first.size, memory.deviceBytes(), "nothing in flight: freed at once");
    DeviceBuffer b = backend.allocate(VK0, DType.INT32, 1000, "test");
    VkAllocator.Allocation second = ((VulkanBuffer) b).allocation();
    assertSame(first.block, second.block);
    assertEquals(first.offset, second.offset, "the freed range is taken again");
    assertEquals(blocks, memory.blockCount());
    keep.release();
    b.release();
  }

  @Test
  void buffersShareBlocks() {
    VkAllocator memory = backend.device(VK0).memory();
    List<DeviceBuffer> buffers = new ArrayList<>();
    int before = memory.blockCount();
    for (int i = 0; i < 100; i++) {
      buffers.add(backend.allocate(VK0, DType.FLOAT32, 1024, "test"));
    }
    assertTrue(memory.blockCount() - before <= 1, "100 small buffers fit in one block");
    buffers.forEach(DeviceBuffer::release);
  }

  @Test
  void newBuffersAreZeroEvenOverReusedMemory() {
    DeviceBuffer a = backend.allocate(VK0, DType.FLOAT32, 64, "test");
    await(
        stream,
        ops -> {
          ops.fill(a, 0, 64, 7f);
          return null;
        });
    a.release();
    DeviceBuffer b = backend.allocate(VK0, DType.FLOAT32, 64, "test");
    assertArrayEquals(new float[64], download(b));
    b.release();
  }

  /** Where the host cannot reach a buffer's memory, the next submission zeroes it first. */
  @Test
  void buffersTheHostCannotReachAreZeroedOnTheDevice() {
    DeviceBuffer a = backend.allocate(VK0, DType.FLOAT32, 1000, "test");
    DeviceBuffer released = backend.allocate(VK0, DType.FLOAT32, 10, "test");
    await(
        stream,
        ops -> {
          ops.fill(a, 0, 1000, 7f);
          return null;
        });
    // lavapipe's memory is host-visible; this is what a discrete GPU's allocation does:
    VulkanDevice dev = backend.device(VK0);
    dev.zeroOnDevice(((VulkanBuffer) a).allocation());
    dev.zeroOnDevice(((VulkanBuffer) released).allocation());
    released.release(); // dropped from the list, never filled after its destruction
    assertArrayEquals(new float[1000], download(a));
    a.release();
  }

  /** A buffer released while submitted work still reads it lives until that work is done. */
  @Test
  void aBufferReleasedDuringWorkLivesUntilTheWorkIsDone() throws Exception {
    int n = 192;
    float[] ones = new float[n * n];
    Arrays.fill(ones, 1f);
    DeviceBuffer a = backend.allocate(VK0, DType.FLOAT32, n * n, "test");
    DeviceBuffer c = backend.allocate(VK0, DType.FLOAT32, n * n, "test");
    await(
        stream,
        ops -> {
          ops.copyFromHost(ones, 0, a, 0, ones.length);
          return null;
        });
    long usedBefore = backend.device(VK0).memory().deviceBytes();
    CountDownLatch recorded = new CountDownLatch(1);
    float[] corner = new float[4];
    CompletableFuture<Object> done =
        stream
            .submit(
                ops -> {
                  for (int i = 0; i < 5; i++) {
                    ops.gemm(false, false, n, n, n, 1f, a, 0, n, a, 0, n, 0f, c, 0, n);
                  }
                  ops.copyToHost(c, 0, corner, 0, 4);
                  recorded.countDown();
                  return null;
                })
            .toCompletableFuture();
    assertTrue(recorded.await(30, TimeUnit.SECONDS));
    a.release(); // the GPU is probably still multiplying
    done.get(30, TimeUnit.SECONDS);
    assertArrayEquals(new float[] {n, n, n, n}, corner);
    await(stream, ops -> null); // the next completion frees what waited
    assertEquals(usedBefore - (long) n * n * 4, backend.device(VK0).memory().deviceBytes());
    c.release();
  }

  @Test
  void theMemoryBudgetFailsAllocationsBeyondIt() {
    VulkanBackend small = VulkanTests.backend("memory-block-size = 1 MiB, memory-budget = 2 MiB");
    try {
      DeviceBuffer big = small.allocate(VK0, DType.FLOAT32, 3 << 17, "test"); // 1.5 MiB
      DeviceOutOfMemoryException e =
          assertThrows(
              DeviceOutOfMemoryException.class,
              () -> small.allocate(VK0, DType.FLOAT32, 1 << 18, "test")); // 1 MiB more
      assertEquals(1 << 20, e.requested());
      assertEquals(1 << 19, e.free());
      assertTrue(e.getMessage().contains("memory-budget"), e.getMessage());
      assertEquals(VK0, e.device());
      big.release();
      small.allocate(VK0, DType.FLOAT32, 1 << 18, "test").release(); // fits once the first is gone
    } finally {
      VulkanTests.close(small);
    }
  }

  /** lavapipe binds at most 128 MiB: a larger buffer is bound over the range an op touches. */
  @Test
  void aBufferLargerThanOneBindingIsBoundWhereTheOpLooks() {
    long max = backend.device(VK0).maxStorageBufferRange();
    if (max > 256L << 20) {
      return; // a real GPU binds gigabytes: not worth allocating that much for this test
    }
    long elements = max / 4 + (1 << 20);
    DeviceBuffer big = backend.allocate(VK0, DType.FLOAT32, elements, "test");
    DeviceBuffer c = backend.allocate(VK0, DType.FLOAT32, 4, "test");
    float[] m = {1, 2, 3, 4};
    long at = elements - 7; // past what a whole binding could reach
    float[] out =
        await(
            stream,
            ops -> {
              ops.copyFromHost(m, 0, big, at, 4);
              ops.gemm(false, false, 2, 2, 2, 1f, big, at, 2, big, at, 2, 0f, c, 0, 2);
              float[] r = new float[4];
              ops.copyToHost(c, 0, r, 0, 4);
              return r;
            });
    assertArrayEquals(new float[] {7, 10, 15, 22}, out);
    KernelException tooWide =
        (KernelException)
            failure(
                stream,
                ops -> {
                  ops.unary(UnaryOp.NEG, big, big, elements);
                  return null;
                });
    assertTrue(tooWide.getMessage().contains("maxStorageBufferRange"), tooWide.getMessage());
    big.release();
    c.release();
  }

  // ---- the stream ----

  /** More dispatches than one descriptor pool holds, in one Work. */
  @Test
  void manyDispatchesInOneWork() {
    DeviceBuffer x = backend.allocate(VK0, DType.FLOAT32, 3, "test");
    await(
        stream,
        ops -> {
          for (int i = 0; i < 300; i++) {
            ops.affine(x, x, 3, 1f, 1f);
          }
          return null;
        });
    assertArrayEquals(new float[] {300, 300, 300}, download(x));
    x.release();
  }

  /** More submissions than frames in flight; stages complete in submission order. */
  @Test
  void manySubmissionsCompleteInOrder() throws Exception {
    DeviceBuffer x = backend.allocate(VK0, DType.FLOAT32, 1, "test");
    List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Integer>> stages = new ArrayList<>();
    for (int i = 0; i < 5 * VulkanStream.MAX_FRAMES; i++) {
      int id = i;
      CompletableFuture<Integer> f =
          stream
              .submit(
                  (Ops ops) -> {
                    if (id % 3 != 2) { // some submissions are empty: they complete in order too
                      ops.affine(x, x, 1, 1f, 1f);
                    }
                    return id;
                  })
              .toCompletableFuture();
      stages.add(
          f.thenApply(
              v -> {
                order.add(v);
                return v;
              }));
    }
    CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (int i = 0; i < stages.size(); i++) {
      assertEquals(i, order.get(i));
    }
    assertArrayEquals(new float[] {27}, download(x));
    x.release();
  }

  /** What a Work recorded before it threw still runs (as on a CPU or CUDA stream). */
  @Test
  void aWorkThatThrowsAfterRecordingFailsAfterItsOpsRan() {
    DeviceBuffer x = backend.allocate(VK0, DType.FLOAT32, 5, "test");
    Throwable t =
        failure(
            stream,
            ops -> {
              ops.fill(x, 0, 5, 3f);
              throw new IllegalStateException("the work failed");
            });
    assertInstanceOf(IllegalStateException.class, t);
    assertArrayEquals(new float[] {3, 3, 3, 3, 3}, download(x));
    x.release();
  }

  @Test
  void opsUsedOutsideTheirWorkAreRejected() {
    AtomicReference<Ops> escaped = new AtomicReference<>();
    await(
        stream,
        ops -> {
          escaped.set(ops);
          return null;
        });
    DeviceBuffer x = backend.allocate(VK0, DType.FLOAT32, 4, "test");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> escaped.get().fill(x, 0, 4, 1f));
    assertTrue(e.getMessage().contains("outside the Work"), e.getMessage());
    x.release();
  }

  // ---- failures ----

  @Test
  void vulkanResultsBecomeTypedFailures() {
    assertInstanceOf(
        DeviceOutOfMemoryException.class, Vk.failure(VK0, -2, "vkAllocateMemory", 64, 0));
    assertInstanceOf(
        DeviceOutOfMemoryException.class, Vk.failure(VK0, -1, "vkCreateBuffer", 64, 0));
    DeviceOutOfMemoryException oom =
        (DeviceOutOfMemoryException) Vk.failure(VK0, -2, "vkAllocateMemory", 64, 32);
    assertEquals(64, oom.requested());
    assertEquals(32, oom.free());
    assertTrue(oom.getMessage().contains("VK_ERROR_OUT_OF_DEVICE_MEMORY"), oom.getMessage());
    assertInstanceOf(DeviceLostException.class, Vk.failure(VK0, -4, "vkQueueSubmit", 0, 0));
    KernelException other = (KernelException) Vk.failure(VK0, -3, "vkCreateComputePipelines", 0, 0);
    assertTrue(
        other
            .getMessage()
            .contains("vkCreateComputePipelines returned VK_ERROR_INITIALIZATION_FAILED"));
  }

  /** After VK_ERROR_DEVICE_LOST every later submission and allocation fails fast. */
  @Test
  void aLostDeviceFailsEveryLaterCallFast() {
    VulkanBackend b = VulkanTests.backend("");
    try {
      DeviceBuffer x = b.allocate(VK0, DType.FLOAT32, 4, "test");
      VulkanDevice dev = b.device(VK0);
      // What vkQueueSubmit or vkWaitForFences returning VK_ERROR_DEVICE_LOST does:
      assertInstanceOf(DeviceLostException.class, dev.failure(-4, "vkWaitForFences", 0));
      Throwable t =
          failure(
              b.stream(VK0),
              ops -> {
                ops.fill(x, 0, 4, 1f);
                return null;
              });
      assertInstanceOf(DeviceLostException.class, t);
      assertTrue(t.getMessage().contains("lost earlier"), t.getMessage());
      assertThrows(DeviceLostException.class, () -> b.allocate(VK0, DType.FLOAT32, 4, "test"));
    } finally {
      VulkanTests.close(b);
    }
  }

  // ---- close ----

  /** Close runs queued work, frees buffers still held, and destroys every Vulkan object. */
  @Test
  void closeLeavesNoVulkanObject() throws Exception {
    VulkanBackend b = VulkanTests.backend("");
    DeviceBuffer held = b.allocate(VK0, DType.FLOAT32, 1 << 16, "test");
    DeviceBuffer[] more = {
      b.allocate(VK0, DType.INT32, 10, "test"), b.allocate(VK0, DType.FLOAT32, 3 << 20, "test")
    };
    CompletableFuture<String> inFlight =
        b.stream(VK0)
            .submit(
                (Ops ops) -> {
                  for (int i = 0; i < 20; i++) {
                    ops.unary(UnaryOp.SQUARE, held, held, 1 << 16);
                  }
                  return "done";
                })
            .toCompletableFuture();
    assertTrue(b.liveObjects().containsKey("VkBuffer"));
    VulkanTests.close(b); // no Vulkan object left, no validation error
    assertEquals(
        "done", inFlight.get(1, TimeUnit.SECONDS), "queued work ran before close returned");
    assertTrue(held.isFreed() && more[0].isFreed() && more[1].isFreed(), "held buffers are freed");
    Throwable t = failure(b.stream(VK0), ops -> null);
    assertTrue(t.getMessage().contains("closed"), t.getMessage());
    assertThrows(IllegalStateException.class, () -> b.allocate(VK0, DType.FLOAT32, 4, "test"));
  }
}
