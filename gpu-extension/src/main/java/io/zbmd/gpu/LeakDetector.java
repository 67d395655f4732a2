package io.zbmd.gpu;

import java.util.Locale;

/**
 * Finds device buffers that were dropped without {@link DeviceBuffer#release()}, as Netty's {@code
 * ResourceLeakDetector} does for {@code ByteBuf}s. Every buffer {@link GpuExtension} allocates is
 * tracked with a phantom reference (unless the level is {@link Level#OFF}); when the garbage
 * collector finds one unreachable while its reference count is above zero, the detector logs a
 * {@link LeakReport} at ERROR, counts it, returns the buffer's accounted memory to its device and
 * tells its listeners. Checks run on every allocation, every {@code zbmd.gpu.leak-check-interval},
 * and on {@link #poll()}.
 *
 * <pre>{@code
 * LeakDetector leaks = GpuExtension.get(system).leakDetector();
 * leaks.addListener(report ->
 *     log.error("leaked {} bytes owned by {}", report.bytes(), report.owner()));
 * }</pre>
 */
public interface LeakDetector {
  /** How much the detector records; {@code zbmd.gpu.leak-detection}. */
  enum Level {
    /** No tracking: a dropped buffer's accounted memory is never returned. */
    OFF,
    /**
     * Every buffer is tracked with one phantom reference and no stack trace; a report names the
     * buffer, its device, size, owner and last touch hint.
     */
    SIMPLE,
    /**
     * As {@link #SIMPLE}, plus the stack trace of the allocation and of the last {@link
     * DeviceBuffer#touch}: a stack walk per allocation and touch, for debugging.
     */
    PARANOID;

    /** Parses {@code off}, {@code simple} or {@code paranoid} (any case). */
    public static Level parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "leak detection level must be off, simple or paranoid, got '" + text + "'", e);
      }
    }
  }

  /** Told of each leak, on the thread that found it; must not block. */
  @FunctionalInterface
  interface Listener {
    void leaked(LeakReport report);
  }

  /** The configured level. */
  Level level();

  /** Leaks reported since the system started. */
  long leakCount();

  /** Buffers tracked now (allocated, not yet released or reported). */
  int tracked();

  /** Adds a listener told of every later leak. */
  void addListener(Listener listener);

  /** Removes a listener; returns whether it was there. */
  boolean removeListener(Listener listener);

  /**
   * Reports, now, the buffers the garbage collector has found unreachable since the last check;
   * returns how many. Does not run the garbage collector.
   */
  int poll();
}
