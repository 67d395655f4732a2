package io.zbmd.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.LeakDetector.Level;
import io.zbmd.gpu.LeakReport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The detector on its own, no actor system: what each level records. */
class BufferLeakDetectorTest {
  private static final DeviceId DEV = new DeviceId("test", 0);

  private static final class Plain extends DeviceBuffer {
    Plain(long elements, String owner) {
      super(DEV, DType.FLOAT32, elements, owner);
    }

    @Override
    protected void freeStorage() {}
  }

  private static long trackAndDrop(BufferLeakDetector detector) {
    DeviceBuffer b = new Plain(8, "simple-owner");
    detector.track(b);
    b.touch("last seen here");
    return b.id();
  }

  @Test
  void simpleLevelReportsWithoutStackTraces() throws Exception {
    List<LeakReport> reclaimed = new CopyOnWriteArrayList<>();
    BufferLeakDetector detector = new BufferLeakDetector(Level.SIMPLE, reclaimed::add);
    List<LeakReport> told = new CopyOnWriteArrayList<>();
    detector.addListener(told::add);
    long id = trackAndDrop(detector);
    assertEquals(1, detector.tracked());
    for (int i = 0; i < 500 && told.isEmpty(); i++) {
      System.gc();
      detector.poll();
      Thread.sleep(20);
    }
    assertEquals(1, told.size(), "no report within 10 s");
    LeakReport r = told.get(0);
    assertEquals(id, r.bufferId());
    assertEquals("simple-owner", r.owner());
    assertEquals(32, r.bytes());
    assertEquals("last seen here", r.lastTouch().orElseThrow());
    assertTrue(r.allocationStack().isEmpty() && r.lastTouchStack().isEmpty());
    assertTrue(r.describe().contains("paranoid"), r.describe()); // says how to learn more
    assertEquals(List.of(r), reclaimed); // the accounted memory is returned first
    assertEquals(0, detector.tracked());
    assertEquals(1, detector.leakCount());
  }

  @Test
  void offTracksNothing() {
    BufferLeakDetector detector = new BufferLeakDetector(Level.OFF, r -> {});
    detector.track(new Plain(8, "x"));
    assertEquals(0, detector.tracked());
  }
}
