package io.zbmd.testkit.faults;

import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.KernelException;

/**
 * One device of a {@link FaultInjectingBackend}: its counters and whether it is lost, and the
 * decisions of the plan for it. Ops on a device arrive in stream order, so the counters (and with
 * them every decision) follow the order of the calls; the lock only guards against backends that
 * run a device's work on several threads.
 */
final class FaultyDevice {
  private final Device device;
  private final DeviceId delegateId;
  private final FaultPlan plan;
  private final FaultLog log;
  private long nextOp;
  private long nextAllocation;
  private long allocatedBytes;
  private volatile DeviceLostException lost;

  FaultyDevice(Device device, DeviceId delegateId, FaultPlan plan, FaultLog log) {
    this.device = device;
    this.delegateId = delegateId;
    this.plan = plan;
    this.log = log;
  }

  Device device() {
    return device;
  }

  DeviceId id() {
    return device.id();
  }

  /** The delegate's device this one stands for. */
  DeviceId delegateId() {
    return delegateId;
  }

  /**
   * Counts one op call and throws the fault the plan injects into it, if any, before it runs; on a
   * lost device every op fails fast, without being counted.
   */
  synchronized void beforeOp(String op) {
    failIfLost("op " + op);
    long index = nextOp++;
    if (index == plan.lostAtOp()) {
      log.record(new InjectedFault(id(), index, op, FaultKind.DEVICE_LOST));
      lost =
          new DeviceLostException(
              id(),
              "injected at op #" + index + " (" + op + "), fault plan seed " + plan.seed(),
              null);
      throw lost;
    }
    if (plan.appliesTo(op) && plan.draw(id().index(), index) < plan.failureProbability()) {
      log.record(new InjectedFault(id(), index, op, FaultKind.KERNEL_FAILURE));
      throw new KernelException(
          id(),
          "injected failure of " + op + " at op #" + index + ", fault plan seed " + plan.seed(),
          null);
    }
  }

  /**
   * Counts one allocation and reserves its bytes against {@code oom-after-bytes}; throws when the
   * device is lost or the bytes do not fit (a failed allocation reserves nothing).
   */
  synchronized void reserve(long bytes) {
    failIfLost("allocate " + bytes + " bytes");
    long index = nextAllocation++;
    long limit = plan.oomAfterBytes();
    if (limit >= 0 && bytes > limit - allocatedBytes) {
      log.record(new InjectedFault(id(), index, "allocate", FaultKind.OUT_OF_MEMORY));
      throw new DeviceOutOfMemoryException(
          id(),
          bytes,
          limit - allocatedBytes,
          "injected: oom-after-bytes = "
              + limit
              + ", "
              + allocatedBytes
              + " bytes allocated before, allocation #"
              + index
              + ", fault plan seed "
              + plan.seed());
    }
    allocatedBytes += bytes;
  }

  /** Gives back a reservation whose allocation the delegate refused. */
  synchronized void unreserve(long bytes) {
    allocatedBytes -= bytes;
  }

  /** Bytes left under {@code oom-after-bytes}, or -1 when it is off. */
  synchronized long remainingBudget() {
    return plan.oomAfterBytes() < 0 ? -1 : plan.oomAfterBytes() - allocatedBytes;
  }

  /** Throws a fresh {@link DeviceLostException} naming {@code what} if the device is lost. */
  void failIfLost(String what) {
    DeviceLostException cause = lost;
    if (cause != null) {
      throw new DeviceLostException(
          id(), "refused " + what + ": the device was lost earlier", cause);
    }
  }

  boolean isLost() {
    return lost != null;
  }
}
