package io.zbmd.testkit.faults;

import io.zbmd.gpu.DeviceId;

/**
 * One fault a {@link FaultInjectingBackend} injected, as its {@link FaultLog} records it. Values
 * compare equal when the same fault hit the same call, so two runs' logs can be compared with
 * {@code equals}.
 *
 * <pre>{@code
 * DeviceId dev = new DeviceId("faulty", 0);
 * InjectedFault first = backend.faultLog().entries().get(0);
 * assertEquals(new InjectedFault(dev, 3, "gemm", FaultKind.KERNEL_FAILURE), first);
 * }</pre>
 *
 * @param device the device it hit, e.g. {@code faulty:0}
 * @param index for ops, the op index on that device (from 0); for {@code allocate}, the index of
 *     the allocation on that device (from 0): allocations are counted apart from ops
 * @param op the {@link io.zbmd.gpu.Ops} method name (e.g. {@code gemm}), or {@code allocate}
 * @param kind what was injected
 */
public record InjectedFault(DeviceId device, long index, String op, FaultKind kind) {
  @Override
  public String toString() {
    return device + " " + op + " #" + index + ": " + kind;
  }
}
