package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
import static org.lwjgl.vulkan.VK10.VK_NULL_HANDLE;
import static org.lwjgl.vulkan.VK10.VK_SHADER_STAGE_COMPUTE_BIT;
import static org.lwjgl.vulkan.VK10.vkCreateComputePipelines;
import static org.lwjgl.vulkan.VK10.vkCreateDescriptorSetLayout;
import static org.lwjgl.vulkan.VK10.vkCreatePipelineLayout;
import static org.lwjgl.vulkan.VK10.vkCreateShaderModule;
import static org.lwjgl.vulkan.VK10.vkDestroyDescriptorSetLayout;
import static org.lwjgl.vulkan.VK10.vkDestroyPipeline;
import static org.lwjgl.vulkan.VK10.vkDestroyPipelineLayout;
import static org.lwjgl.vulkan.VK10.vkDestroyShaderModule;

import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.EnumMap;
import java.util.Map;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkComputePipelineCreateInfo;
import org.lwjgl.vulkan.VkDescriptorSetLayoutBinding;
import org.lwjgl.vulkan.VkDescriptorSetLayoutCreateInfo;
import org.lwjgl.vulkan.VkPipelineLayoutCreateInfo;
import org.lwjgl.vulkan.VkPushConstantRange;
import org.lwjgl.vulkan.VkShaderModuleCreateInfo;

/**
 * The compute pipelines of one device, built on first use from the shader cache's SPIR-V: per
 * kernel a descriptor set layout of its storage buffers, a pipeline layout with its push constants,
 * and the pipeline. Used on the device's stream thread only (and at close).
 */
final class Pipelines implements AutoCloseable {
  /** What a dispatch binds. */
  record Pipeline(Kernel kernel, long setLayout, long layout, long pipeline) {}

  private final VulkanDevice device;
  private final ShaderCache shaders;
  private final int blockSize;
  private final int gemmWorkgroup;
  private final Map<Kernel, Pipeline> built = new EnumMap<>(Kernel.class);

  Pipelines(VulkanDevice device, ShaderCache shaders, int blockSize, int gemmWorkgroup) {
    this.device = device;
    this.shaders = shaders;
    this.blockSize = blockSize;
    this.gemmWorkgroup = gemmWorkgroup;
  }

  int blockSize() {
    return blockSize;
  }

  /** The side of the gemm kernel's square workgroup (8 or 16 invocations). */
  int gemmWorkgroup() {
    return gemmWorkgroup;
  }

  Pipeline get(Kernel kernel) {
    Pipeline p = built.get(kernel);
    if (p == null) {
      p = build(kernel);
      built.put(kernel, p);
    }
    return p;
  }

  private Pipeline build(Kernel kernel) {
    byte[] spirv =
        shaders.spirv(device.id(), kernel.shaderName, kernel.source(blockSize, gemmWorkgroup));
    long module = 0;
    long setLayout = 0;
    long layout = 0;
    try (MemoryStack s = stackPush()) {
      LongBuffer lp = s.mallocLong(1);
      ByteBuffer code = MemoryUtil.memAlloc(spirv.length);
      try {
        code.put(spirv).flip();
        VkShaderModuleCreateInfo info =
            VkShaderModuleCreateInfo.calloc(s).sType$Default().pCode(code);
        device.check(
            vkCreateShaderModule(device.vk(), info, null, lp),
            "vkCreateShaderModule " + kernel.shaderName);
        module = lp.get(0);
        device.objects().created("VkShaderModule");
      } finally {
        MemoryUtil.memFree(code);
      }

      VkDescriptorSetLayoutBinding.Buffer bindings =
          VkDescriptorSetLayoutBinding.calloc(kernel.bindings, s);
      for (int i = 0; i < kernel.bindings; i++) {
        bindings
            .get(i)
            .binding(i)
            .descriptorType(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER)
            .descriptorCount(1)
            .stageFlags(VK_SHADER_STAGE_COMPUTE_BIT);
      }
      VkDescriptorSetLayoutCreateInfo setInfo =
          VkDescriptorSetLayoutCreateInfo.calloc(s).sType$Default().pBindings(bindings);
      device.check(
          vkCreateDescriptorSetLayout(device.vk(), setInfo, null, lp),
          "vkCreateDescriptorSetLayout");
      setLayout = lp.get(0);
      device.objects().created("VkDescriptorSetLayout");

      VkPushConstantRange.Buffer push = VkPushConstantRange.calloc(1, s);
      push.get(0).stageFlags(VK_SHADER_STAGE_COMPUTE_BIT).offset(0).size(kernel.pushWords * 4);
      VkPipelineLayoutCreateInfo layoutInfo =
          VkPipelineLayoutCreateInfo.calloc(s)
              .sType$Default()
              .pSetLayouts(s.longs(setLayout))
              .pPushConstantRanges(push);
      device.check(
          vkCreatePipelineLayout(device.vk(), layoutInfo, null, lp), "vkCreatePipelineLayout");
      layout = lp.get(0);
      device.objects().created("VkPipelineLayout");

      VkComputePipelineCreateInfo.Buffer pipelineInfo = VkComputePipelineCreateInfo.calloc(1, s);
      pipelineInfo.get(0).sType$Default().layout(layout);
      pipelineInfo
          .get(0)
          .stage()
          .sType$Default()
          .stage(VK_SHADER_STAGE_COMPUTE_BIT)
          .module(module)
          .pName(s.UTF8("main"));
      device.check(
          vkCreateComputePipelines(device.vk(), VK_NULL_HANDLE, pipelineInfo, null, lp),
          "vkCreateComputePipelines " + kernel.shaderName);
      long pipeline = lp.get(0);
      device.objects().created("VkPipeline");
      return new Pipeline(kernel, setLayout, layout, pipeline);
    } catch (RuntimeException | Error e) {
      if (layout != 0) {
        vkDestroyPipelineLayout(device.vk(), layout, null);
        device.objects().destroyed("VkPipelineLayout");
      }
      if (setLayout != 0) {
        vkDestroyDescriptorSetLayout(device.vk(), setLayout, null);
        device.objects().destroyed("VkDescriptorSetLayout");
      }
      throw e;
    } finally {
      // The pipeline keeps what it needs of the module.
      if (module != 0) {
        vkDestroyShaderModule(device.vk(), module, null);
        device.objects().destroyed("VkShaderModule");
      }
    }
  }

  @Override
  public void close() {
    for (Pipeline p : built.values()) {
      vkDestroyPipeline(device.vk(), p.pipeline(), null);
      device.objects().destroyed("VkPipeline");
      vkDestroyPipelineLayout(device.vk(), p.layout(), null);
      device.objects().destroyed("VkPipelineLayout");
      vkDestroyDescriptorSetLayout(device.vk(), p.setLayout(), null);
      device.objects().destroyed("VkDescriptorSetLayout");
    }
    built.clear();
  }
}
