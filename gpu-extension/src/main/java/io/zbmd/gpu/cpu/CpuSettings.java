package io.zbmd.gpu.cpu;

import com.typesafe.config.Config;

/**
 * Settings of the CPU backend, read once from {@code zbmd.gpu.cpu}.
 *
 * @param threads worker threads for the Java loops (0 = one per core)
 * @param parallelThreshold element count from which a loop is split over the threads
 * @param memory bytes the CPU device reports as its memory (0 = the machine's physical memory)
 */
public record CpuSettings(int threads, long parallelThreshold, long memory) {
  public CpuSettings {
    if (threads < 0) {
      throw new IllegalArgumentException("zbmd.gpu.cpu.threads must be >= 0, got " + threads);
    }
    if (parallelThreshold < 1) {
      throw new IllegalArgumentException(
          "zbmd.gpu.cpu.parallel-threshold must be >= 1, got " + parallelThreshold);
    }
    if (memory < 0) {
      throw new IllegalArgumentException("zbmd.gpu.cpu.memory must be >= 0, got " + memory);
    }
  }

  static CpuSettings from(Config c) {
    return new CpuSettings(
        c.hasPath("threads") ? c.getInt("threads") : 0,
        c.hasPath("parallel-threshold") ? c.getLong("parallel-threshold") : 32_768,
        c.hasPath("memory") ? c.getBytes("memory") : 0);
  }

  /** Threads to use, resolved against the core count. */
  int effectiveThreads() {
    return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
  }

  /** Memory to report, resolved against the machine. */
  long effectiveMemory() {
    if (memory > 0) {
      return memory;
    }
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return Runtime.getRuntime().maxMemory();
  }
}
