package io.zbmd.gpu.internal;

import io.zbmd.gpu.Bytes;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.MemoryUsage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Memory accounting of one device: bytes in use in all and per owner, against the device's total
 * and an optional configured limit. An allocation first {@link #reserve reserves} its bytes (so
 * that two concurrent allocations cannot both fit in the same free space), then {@link #commit
 * commits} them to the buffer id once the backend succeeded, or {@link #unreserve unreserves} them
 * if it failed. {@link #free} is idempotent per buffer id, so a release and a leak report can never
 * count a buffer twice.
 */
public final class DeviceMemory {
  /** A live buffer as the accounting sees it. */
  public record Allocation(long bufferId, String owner, long bytes) {}

  private final DeviceId device;
  private final long total;
  private final long limit;
  private long used;
  private final Map<String, Long> byOwner = new HashMap<>();
  private final Map<Long, Allocation> live = new HashMap<>();

  /**
   * @param total the device's memory in bytes (0 or less: unknown, no bound)
   * @param limit the configured limit in bytes, or -1 for none
   */
  public DeviceMemory(DeviceId device, long total, long limit) {
    this.device = device;
    this.total = total;
    this.limit = limit;
  }

  /** The most that may be allocated in all. */
  public long capacity() {
    long deviceBound = total > 0 ? total : Long.MAX_VALUE;
    return limit >= 0 ? Math.min(limit, deviceBound) : deviceBound;
  }

  /**
   * Reserves {@code bytes} for {@code owner}.
   *
   * @throws DeviceOutOfMemoryException if they do not fit; nothing is reserved then
   */
  public synchronized void reserve(String owner, long bytes, String limitKey) {
    long capacity = capacity();
    long free = Math.max(0, capacity - used);
    if (bytes > free) {
      StringBuilder detail = new StringBuilder("owner ").append(owner).append("; ");
      if (limit >= 0 && limit <= capacity) {
        detail
            .append("memory-limit ")
            .append(Bytes.format(limit))
            .append(" (")
            .append(limitKey)
            .append(")");
      } else {
        detail.append("device total ").append(Bytes.format(total));
      }
      detail
          .append(", ")
          .append(Bytes.format(used))
          .append(" (")
          .append(used)
          .append(" bytes) in use by ")
          .append(byOwner.size())
          .append(" owner(s), ")
          .append(free)
          .append(" bytes free");
      throw new DeviceOutOfMemoryException(device, bytes, free, detail.toString());
    }
    used += bytes;
    byOwner.merge(owner, bytes, Long::sum);
  }

  /** Gives back a reservation whose allocation failed. */
  public synchronized void unreserve(String owner, long bytes) {
    subtract(owner, bytes);
  }

  /** Ties a reservation to the buffer the backend returned. */
  public synchronized void commit(long bufferId, String owner, long bytes) {
    live.put(bufferId, new Allocation(bufferId, owner, bytes));
  }

  /** Returns a buffer's bytes; false if it was not (or no longer) accounted. */
  public synchronized boolean free(long bufferId) {
    Allocation a = live.remove(bufferId);
    if (a == null) {
      return false;
    }
    subtract(a.owner(), a.bytes());
    return true;
  }

  /** Bytes in use now. */
  public synchronized long used() {
    return used;
  }

  /** The live buffers of {@code owner}. */
  public synchronized List<Allocation> liveOf(String owner) {
    List<Allocation> out = new ArrayList<>();
    for (Allocation a : live.values()) {
      if (a.owner().equals(owner)) {
        out.add(a);
      }
    }
    return out;
  }

  /** A consistent snapshot. */
  public synchronized MemoryUsage usage() {
    return new MemoryUsage(total, limit, used, byOwner);
  }

  private void subtract(String owner, long bytes) {
    used -= bytes;
    byOwner.computeIfPresent(owner, (k, v) -> v - bytes == 0 ? null : v - bytes);
  }
}
