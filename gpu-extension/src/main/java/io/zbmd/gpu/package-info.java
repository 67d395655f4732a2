/**
 * GPU extension: the backend SPI (CPU on OpenBLAS, Vulkan, CUDA, ROCm), {@code GpuExtension}
 * (device registry, health, memory accounting) and GPU-pinned dispatchers.
 *
 * <p>Placeholder until the gpu-extension issue lands: this module holds only its package and its
 * {@code reference.conf}.
 */
package io.zbmd.gpu;
