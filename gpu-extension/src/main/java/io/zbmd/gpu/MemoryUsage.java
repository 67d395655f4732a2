package io.zbmd.gpu;

import java.util.Map;

/**
 * A snapshot of the memory {@link GpuExtension} accounts on one device: what the device has, the
 * configured limit, what live buffers hold, and who holds it (owner path → bytes).
 *
 * <pre>{@code
 * MemoryUsage m = gpu.memory(DeviceId.parse("cpu:0"));
 * log.info("{} of {} used, {} free", Bytes.format(m.used()), Bytes.format(m.capacity()),
 *     Bytes.format(m.free()));
 * }</pre>
 *
 * @param total bytes the device reports (its {@link Device#totalMemory()}; 0 if unknown)
 * @param limit the configured {@code zbmd.gpu.devices.<key>.memory-limit} in bytes, or -1 for none
 * @param used bytes held by live buffers allocated through {@link GpuExtension}
 * @param byOwner bytes per owner (an actor path or another owner name); owners holding nothing are
 *     absent
 */
public record MemoryUsage(long total, long limit, long used, Map<String, Long> byOwner) {
  public MemoryUsage {
    byOwner = Map.copyOf(byOwner);
  }

  /** The most that can be allocated in all: the smaller of the limit and the total, if known. */
  public long capacity() {
    long device = total > 0 ? total : Long.MAX_VALUE;
    return limit >= 0 ? Math.min(limit, device) : device;
  }

  /** Bytes still allocatable: {@link #capacity()} minus {@link #used()}. */
  public long free() {
    return Math.max(0, capacity() - used);
  }
}
