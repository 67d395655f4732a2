package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A buffer dropped without release() is found when the garbage collector collects it, reported with
 * its owner (and, at paranoid level, where it was allocated and last touched), and its accounted
 * memory is returned.
 */
class LeakDetectorTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static ActorTestKit kit;
  private static GpuExtension gpu;

  @BeforeAll
  static void start() {
    kit =
        TestSystems.kit(
            "leaks",
            """
            zbmd.gpu.backends = [cpu]
            zbmd.gpu.leak-detection = paranoid
            zbmd.gpu.leak-check-interval = 50ms
            """);
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Allocates and forgets: nothing outside this frame refers to the buffer afterwards. */
  private static long allocateAndDrop(String owner) {
    DeviceBuffer b = gpu.allocate(CPU0, DType.FLOAT32, 1024, owner);
    b.touch("dropped on the floor");
    return b.id();
  }

  /** Runs the garbage collector until {@code reports} holds a report of {@code bufferId}. */
  static LeakReport awaitReport(List<LeakReport> reports, long bufferId, LeakDetector detector)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      System.gc();
      detector.poll();
      Optional<LeakReport> r = reports.stream().filter(x -> x.bufferId() == bufferId).findFirst();
      if (r.isPresent()) {
        return r.get();
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "no leak report of buffer#" + bufferId + " within 10 s; got " + reports);
  }

  @Test
  void anUnreleasedUnreachableBufferIsReportedWithItsOwnerAndAllocationSite() throws Exception {
    List<LeakReport> reports = new CopyOnWriteArrayList<>();
    LeakDetector detector = gpu.leakDetector();
    LeakDetector.Listener listener = reports::add;
    detector.addListener(listener);
    long before = detector.leakCount();

    long id = allocateAndDrop("leaky-owner");
    assertEquals(4096, gpu.memory(CPU0).used());

    LeakReport r = awaitReport(reports, id, detector);
    assertEquals("leaky-owner", r.owner());
    assertEquals(CPU0, r.device());
    assertEquals(4096, r.bytes());
    assertEquals(Optional.of("dropped on the floor"), r.lastTouch());
    // Paranoid: the first frame is the caller of GpuExtension.allocate, then the test.
    assertEquals("allocateAndDrop", r.allocationStack().get(0).getMethodName());
    assertEquals(LeakDetectorTest.class.getName(), r.allocationStack().get(0).getClassName());
    assertTrue(
        r.lastTouchStack().stream().anyMatch(e -> e.getMethodName().equals("allocateAndDrop")));
    assertTrue(
        r.describe().contains("leaky-owner") && r.describe().contains("allocateAndDrop"),
        r.describe());
    assertEquals(before + 1, detector.leakCount());
    assertEquals(0, gpu.memory(CPU0).used()); // its accounted memory came back
    assertTrue(detector.removeListener(listener));
  }

  @Test
  void aReleasedBufferIsNeverReported() throws Exception {
    LeakDetector detector = gpu.leakDetector();
    long before = detector.leakCount();
    DeviceBuffer b = gpu.allocate(CPU0, DType.FLOAT32, 16, "tidy-owner");
    int tracked = detector.tracked();
    b.release();
    assertEquals(tracked - 1, detector.tracked());
    b = null;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(20);
      detector.poll();
    }
    assertEquals(before, detector.leakCount());
  }
}
