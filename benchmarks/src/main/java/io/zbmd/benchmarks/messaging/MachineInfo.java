package io.zbmd.benchmarks.messaging;

import java.lang.management.ManagementFactory;
import java.time.Instant;

/**
 * Where and when a benchmark ran. The load average shows how much else was running: figures
 * taken with a load above the core count are noisy.
 *
 * <pre>{@code
 * MachineInfo now = MachineInfo.current();
 * }</pre>
 *
 * @param cores processors the JVM sees
 * @param jvm JVM name and version
 * @param os operating system and architecture
 * @param date ISO-8601 instant of the reading
 * @param loadAverage one-minute system load average, negative where the OS does not say
 * @param maxHeapMiB the JVM's maximum heap
 */
public record MachineInfo(
    int cores, String jvm, String os, String date, double loadAverage, long maxHeapMiB) {

  public static MachineInfo current() {
    Runtime rt = Runtime.getRuntime();
    return new MachineInfo(
        rt.availableProcessors(),
        System.getProperty("java.vm.name") + " " + Runtime.version(),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        Instant.now().toString(),
        currentLoadAverage(),
        rt.maxMemory() >> 20);
  }

  static double currentLoadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
