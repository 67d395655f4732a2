package io.zbmd.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.DeviceStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the conformance suite does not cover, on a real GPU: an allocation larger than the device
 * fails with {@link DeviceOutOfMemoryException} (and the device goes on working), free memory is
 * reported, many stages in flight complete in submission order, and a thread that is not the
 * stream's can be bound to the device's context.
 */
@ExtendWith(CudaRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaBackendTest {
  private Backend backend;
  private Device device;
  private DeviceId id;

  @BeforeAll
  void open() {
    backend = CudaRequirement.createBackend();
    device = backend.devices().get(0);
    id = device.id();
  }

  @AfterAll
  void close() {
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void anAllocationLargerThanTheDeviceIsAnOutOfMemoryAndTheDeviceGoesOn() throws Exception {
    long elements = device.totalMemory(); // 4 bytes each: four times the device
    DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class,
        () -> backend.allocate(id, DType.FLOAT32, elements, "too-big"));
    System.out.println("[oom] " + e.getMessage());
    assertEquals(elements * 4, e.requested());
    assertTrue(e.free() > 0 && e.free() <= device.totalMemory(), e.toString());
    assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());

    DeviceBuffer b = backend.allocate(id, DType.FLOAT32, 8, "after-oom");
    float[] back = new float[8];
    await(backend.stream(id).submit(ops -> {
      ops.fill(b, 0, 8, 2f);
      ops.copyToHost(b, 0, back, 0, 8);
      return null;
    }));
    assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2, 2, 2}, back);
    b.release();
  }

  @Test
  void freeMemoryIsReportedAndFollowsAllocations() {
    long before = backend.freeMemory(id);
    assertTrue(before > 0 && before <= device.totalMemory(), "free " + before);
    DeviceBuffer big = backend.allocate(id, DType.FLOAT32, 256L << 20, "1 GiB"); // 1 GiB
    long during = backend.freeMemory(id);
    System.out.printf("[memory] free %d MiB, with 1 GiB allocated %d MiB, total %d MiB%n",
        before >> 20, during >> 20, device.totalMemory() >> 20);
    assertTrue(during <= before - (1L << 30) + (64L << 20), before + " -> " + during);
    big.release();
  }

  /** New buffers are zero, stages complete in order, and each sees the work before it. */
  @Test
  void manyStagesInFlightCompleteInOrder() throws Exception {
    DeviceStream stream = backend.stream(id);
    DeviceBuffer x = backend.allocate(id, DType.FLOAT32, 1024, "in-flight");
    List<CompletionStage<Float>> stages = new ArrayList<>();
    List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 200; i++) {
      int step = i;
      float[] first = new float[1];
      CompletionStage<Float> s = stream.submit(ops -> {
        ops.affine(x, x, 1024, 1f, 1f); // x += 1
        ops.copyToHost(x, 1000, first, 0, 1);
        return null;
      }).thenApply(v -> {
        order.add(step);
        return first[0];
      });
      stages.add(s);
    }
    for (int i = 0; i < stages.size(); i++) {
      assertEquals(i + 1f, stages.get(i).toCompletableFuture().get(30, TimeUnit.SECONDS));
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      expected.add(i);
    }
    assertEquals(expected, order);
    x.release();
  }

  @Test
  void anotherThreadCanBeBoundToTheContext() throws Exception {
    CompletableFuture<Long> free = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        backend.bindThread(id);
        free.complete(backend.freeMemory(id));
      } catch (Throwable e) {
        free.completeExceptionally(e);
      }
    });
    t.start();
    assertTrue(free.get(30, TimeUnit.SECONDS) > 0);
    t.join();
  }

  private static void await(CompletionStage<?> stage) throws Exception {
    stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
