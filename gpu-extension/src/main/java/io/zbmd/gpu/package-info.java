/**
 * GPU extension: the backend SPI ({@link io.zbmd.gpu.BackendProvider}, {@link io.zbmd.gpu.Backend},
 * {@link io.zbmd.gpu.DeviceBuffer}, {@link io.zbmd.gpu.DeviceStream}, {@link io.zbmd.gpu.Ops}), the
 * CPU backend ({@code io.zbmd.gpu.cpu}), and {@link io.zbmd.gpu.GpuExtension}: device registry and
 * health, memory accounting per device and owner, GPU-pinned dispatchers, leak detection ({@link
 * io.zbmd.gpu.LeakDetector}) and {@link io.zbmd.gpu.OwnedBuffers} for freeing in {@code PostStop}.
 * Settings live under {@code zbmd.gpu} (this module's {@code reference.conf}); {@code
 * io.zbmd.gpu.internal} is not API.
 */
package io.zbmd.gpu;
