/**
 * Fault injection for zbmd's device layer: {@link io.zbmd.testkit.faults.FaultInjectingBackend}
 * wraps any {@link io.zbmd.gpu.Backend} and, following a seeded {@link
 * io.zbmd.testkit.faults.FaultPlan}, makes ops fail with {@code KernelException}, allocations with
 * {@code DeviceOutOfMemoryException} and devices with {@code DeviceLostException}, the same way on
 * every run. Config loads it as the backend {@code faulty} ({@code zbmd.gpu.faulty}).
 */
package io.zbmd.testkit.faults;
