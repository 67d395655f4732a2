package io.zbmd.gpu;

import java.util.List;
import java.util.Optional;

/**
 * A device buffer the garbage collector found unreachable while it still held references: it was
 * never {@link DeviceBuffer#release() released}. {@link LeakDetector} logs it at ERROR, counts it,
 * returns its accounted memory and hands it to its listeners.
 *
 * <pre>{@code
 * gpu.leakDetector().addListener(report ->
 *     metrics.counter("gpu.leaks", "owner", report.owner()).increment());
 * }</pre>
 *
 * @param bufferId the buffer's {@link DeviceBuffer#id()}
 * @param device where it lived
 * @param dtype its element type
 * @param elements its size in elements
 * @param bytes its size in bytes
 * @param owner the owning actor's path (or other owner name)
 * @param lastTouch the last {@link DeviceBuffer#touch} hint, if any
 * @param allocationStack where it was allocated (paranoid level only, empty otherwise)
 * @param lastTouchStack where it was last touched (paranoid level only, empty otherwise)
 */
public record LeakReport(
    long bufferId,
    DeviceId device,
    DType dtype,
    long elements,
    long bytes,
    String owner,
    Optional<String> lastTouch,
    List<StackTraceElement> allocationStack,
    List<StackTraceElement> lastTouchStack) {
  public LeakReport {
    allocationStack = List.copyOf(allocationStack);
    lastTouchStack = List.copyOf(lastTouchStack);
  }

  /** The multi-line text the detector logs. */
  public String describe() {
    StringBuilder b =
        new StringBuilder()
            .append("LEAK: buffer#")
            .append(bufferId)
            .append(" on ")
            .append(device)
            .append(" (")
            .append(elements)
            .append(" x ")
            .append(dtype)
            .append(", ")
            .append(Bytes.format(bytes))
            .append(") owned by ")
            .append(owner)
            .append(" was garbage-collected without release(); its accounted memory is returned.")
            .append(" Last touch: ")
            .append(lastTouch.map(t -> "'" + t + "'").orElse("none"));
    if (allocationStack.isEmpty()) {
      b.append(". Set zbmd.gpu.leak-detection = paranoid to see where it was allocated.");
    } else {
      b.append("\nAllocated at:");
      allocationStack.forEach(e -> b.append("\n\tat ").append(e));
    }
    if (!lastTouchStack.isEmpty()) {
      b.append("\nLast touched at:");
      lastTouchStack.forEach(e -> b.append("\n\tat ").append(e));
    }
    return b.toString();
  }
}
