/**
 * The Vulkan backend: every primitive op of {@link io.zbmd.gpu.Ops} as a GLSL compute shader
 * (resources under {@code io/zbmd/gpu/vulkan/shaders/}) compiled to SPIR-V at run time with shaderc
 * and cached on disk, run through LWJGL on the system's Vulkan loader. It reaches every vendor's
 * GPU and, through Mesa lavapipe, a plain CPU, where CI tests it.
 *
 * <p>Users go through {@code GpuExtension} with {@code zbmd.gpu.backends} naming {@code vulkan};
 * only {@link io.zbmd.gpu.vulkan.VulkanBackendProvider} and {@link
 * io.zbmd.gpu.vulkan.VulkanSettings} are public. Inside: {@code VulkanBackend} owns the instance
 * and a {@code VulkanDevice} per usable device (its queue, {@code VkAllocator} sub-allocating
 * buffers from large memory blocks, {@code Pipelines}, and {@code VulkanStream}: a recording
 * thread, command buffers with fences in reusable {@code Frame}s, and a fence waiter that completes
 * the stages in order).
 */
package io.zbmd.gpu.vulkan;
