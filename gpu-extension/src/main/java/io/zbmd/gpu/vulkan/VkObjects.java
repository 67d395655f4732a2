package io.zbmd.gpu.vulkan;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the Vulkan objects a backend has created and not yet destroyed, by type, so that a test
 * can prove {@code close()} leaks none (the validation layer would say the same, where installed).
 */
final class VkObjects {
  private final Map<String, AtomicLong> live = new ConcurrentHashMap<>();

  void created(String type) {
    live.computeIfAbsent(type, t -> new AtomicLong()).incrementAndGet();
  }

  void destroyed(String type) {
    live.computeIfAbsent(type, t -> new AtomicLong()).decrementAndGet();
  }

  /** Types with objects still alive, and how many. */
  Map<String, Long> alive() {
    Map<String, Long> out = new TreeMap<>();
    live.forEach(
        (type, n) -> {
          if (n.get() != 0) {
            out.put(type, n.get());
          }
        });
    return out;
  }
}
