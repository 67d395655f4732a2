package io.zbmd.gpu.internal;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.LeakDetector;
import io.zbmd.gpu.LeakReport;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LeakDetector} of one extension. Each tracked buffer gets a {@link Tracker}: a phantom
 * reference that copies what a report needs (never the buffer itself), is closed when the buffer is
 * freed, and is enqueued by the garbage collector if the buffer becomes unreachable first.
 */
public final class BufferLeakDetector implements LeakDetector {
  private static final Logger log = LoggerFactory.getLogger(LeakDetector.class);

  /** Frames of these classes are left out of recorded stacks: the caller's frame comes first. */
  private static final List<String> OWN_FRAMES =
      List.of(
          "io.zbmd.gpu.internal.",
          "io.zbmd.gpu.GpuExtension",
          "io.zbmd.gpu.OwnedBuffers",
          "io.zbmd.gpu.DeviceBuffer");

  private final Level level;
  private final Consumer<LeakReport> reclaim;
  private final ReferenceQueue<DeviceBuffer> queue = new ReferenceQueue<>();
  private final Set<Tracker> live = ConcurrentHashMap.newKeySet();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong leaks = new AtomicLong();

  /**
   * @param reclaim returns a leaked buffer's accounted memory; runs before listeners are told
   */
  public BufferLeakDetector(Level level, Consumer<LeakReport> reclaim) {
    this.level = level;
    this.reclaim = reclaim;
  }

  /** Starts tracking {@code buffer} (nothing at level OFF). */
  public void track(DeviceBuffer buffer) {
    if (level == Level.OFF) {
      return;
    }
    Tracker t = new Tracker(buffer, queue, level == Level.PARANOID ? stackHere() : List.of());
    live.add(t);
    buffer.addFreeListener(t);
    buffer.addTouchListener(t);
  }

  @Override
  public Level level() {
    return level;
  }

  @Override
  public long leakCount() {
    return leaks.get();
  }

  @Override
  public int tracked() {
    return live.size();
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public boolean removeListener(Listener listener) {
    return listeners.remove(listener);
  }

  @Override
  public int poll() {
    int found = 0;
    Reference<? extends DeviceBuffer> r;
    while ((r = queue.poll()) != null) {
      Tracker t = (Tracker) r;
      // A tracker closed by release() is no longer live: the buffer was freed, not leaked.
      if (live.remove(t)) {
        found++;
        report(t.report());
      }
    }
    return found;
  }

  private void report(LeakReport report) {
    leaks.incrementAndGet();
    try {
      reclaim.accept(report);
    } catch (RuntimeException e) {
      log.warn("could not return the accounted memory of leaked buffer#{}", report.bufferId(), e);
    }
    log.error(report.describe());
    for (Listener l : listeners) {
      try {
        l.leaked(report);
      } catch (RuntimeException e) {
        log.warn("leak listener {} failed", l, e);
      }
    }
  }

  private static List<StackTraceElement> stackHere() {
    StackTraceElement[] all = new Throwable().getStackTrace();
    int first = 0;
    while (first < all.length && isOwnFrame(all[first].getClassName())) {
      first++;
    }
    return Arrays.asList(Arrays.copyOfRange(all, first, all.length));
  }

  private static boolean isOwnFrame(String className) {
    for (String prefix : OWN_FRAMES) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** What is known of one tracked buffer; holds no strong reference to it. */
  private final class Tracker extends PhantomReference<DeviceBuffer>
      implements DeviceBuffer.FreeListener, DeviceBuffer.TouchListener {
    private final long id;
    private final DeviceId device;
    private final DType dtype;
    private final long elements;
    private final long bytes;
    private final String owner;
    private final List<StackTraceElement> allocationStack;
    private volatile String lastTouch;
    private volatile List<StackTraceElement> lastTouchStack = List.of();

    Tracker(
        DeviceBuffer b, ReferenceQueue<DeviceBuffer> q, List<StackTraceElement> allocationStack) {
      super(b, q);
      this.id = b.id();
      this.device = b.device();
      this.dtype = b.dtype();
      this.elements = b.elements();
      this.bytes = b.byteSize();
      this.owner = b.owner();
      this.allocationStack = allocationStack;
    }

    @Override
    public void freed(DeviceBuffer buffer) {
      live.remove(this);
      clear();
    }

    @Override
    public void touched(DeviceBuffer buffer, Object hint) {
      lastTouch = String.valueOf(hint);
      if (level == Level.PARANOID) {
        lastTouchStack = stackHere();
      }
    }

    LeakReport report() {
      return new LeakReport(
          id,
          device,
          dtype,
          elements,
          bytes,
          owner,
          Optional.ofNullable(lastTouch),
          allocationStack,
          lastTouchStack);
    }
  }
}
