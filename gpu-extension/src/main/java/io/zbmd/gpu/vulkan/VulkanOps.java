package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.VK_ACCESS_HOST_READ_BIT;
import static org.lwjgl.vulkan.VK10.VK_ACCESS_SHADER_READ_BIT;
import static org.lwjgl.vulkan.VK10.VK_ACCESS_SHADER_WRITE_BIT;
import static org.lwjgl.vulkan.VK10.VK_ACCESS_TRANSFER_READ_BIT;
import static org.lwjgl.vulkan.VK10.VK_ACCESS_TRANSFER_WRITE_BIT;
import static org.lwjgl.vulkan.VK10.VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
import static org.lwjgl.vulkan.VK10.VK_PIPELINE_BIND_POINT_COMPUTE;
import static org.lwjgl.vulkan.VK10.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
import static org.lwjgl.vulkan.VK10.VK_PIPELINE_STAGE_HOST_BIT;
import static org.lwjgl.vulkan.VK10.VK_PIPELINE_STAGE_TRANSFER_BIT;
import static org.lwjgl.vulkan.VK10.VK_SHADER_STAGE_COMPUTE_BIT;
import static org.lwjgl.vulkan.VK10.vkCmdBindDescriptorSets;
import static org.lwjgl.vulkan.VK10.vkCmdBindPipeline;
import static org.lwjgl.vulkan.VK10.vkCmdCopyBuffer;
import static org.lwjgl.vulkan.VK10.vkCmdDispatch;
import static org.lwjgl.vulkan.VK10.vkCmdFillBuffer;
import static org.lwjgl.vulkan.VK10.vkCmdPipelineBarrier;
import static org.lwjgl.vulkan.VK10.vkCmdPushConstants;
import static org.lwjgl.vulkan.VK10.vkUpdateDescriptorSets;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.Broadcast;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.KernelException;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import java.util.List;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkBufferCopy;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkDescriptorBufferInfo;
import org.lwjgl.vulkan.VkMemoryBarrier;
import org.lwjgl.vulkan.VkWriteDescriptorSet;

/**
 * The Vulkan implementation of the primitive ops: each call records commands into the frame of the
 * Work being run (transfer commands for the memory ops, a compute dispatch for the others), each
 * preceded by a full compute/transfer memory barrier, so that every command sees the results of the
 * ones before it (across submissions too). Assumes valid arguments: the stream wraps it in {@link
 * CheckedOps}. Used on the stream thread only.
 *
 * <p>Buffers are bound whole and element offsets travel as push constants; a buffer larger than the
 * device's {@code maxStorageBufferRange} is bound over the aligned range the op touches.
 */
final class VulkanOps implements Ops {
  private static final int ALL_WRITES = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  private static final int ALL_ACCESS =
      VK_ACCESS_SHADER_READ_BIT
          | VK_ACCESS_SHADER_WRITE_BIT
          | VK_ACCESS_TRANSFER_READ_BIT
          | VK_ACCESS_TRANSFER_WRITE_BIT;
  private static final int STAGES =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;

  private final VulkanDevice dev;
  private Frame frame;

  VulkanOps(VulkanDevice dev) {
    this.dev = dev;
  }

  void attach(Frame f) {
    frame = f;
  }

  void detach() {
    frame = null;
  }

  private Frame frame() {
    Frame f = frame;
    if (f == null) {
      throw new IllegalStateException(
          "the Ops of " + dev.id() + " were used outside the Work they were" + " handed to");
    }
    return f;
  }

  @Override
  public DeviceId device() {
    return dev.id();
  }

  // ---- recording ----

  /** A buffer as a shader sees it: the bound range, and the element offset within it. */
  private record Window(long buffer, long offset, long range, int first) {}

  private static VulkanBuffer vk(DeviceBuffer b) {
    return (VulkanBuffer) b;
  }

  private Window window(String op, DeviceBuffer b, long first, long count) {
    VulkanBuffer vb = vk(b);
    long size = vb.byteSize();
    long max = dev.maxStorageBufferRange();
    long at = vb.byteOffset(0);
    if (size <= max) {
      return new Window(vb.handle(), at, size, (int) first);
    }
    long start = first * 4;
    long base = start & -dev.minStorageBufferOffsetAlignment();
    long range = (first + Math.max(count, 1)) * 4 - base;
    if (range > max) {
      throw new KernelException(
          dev.id(),
          op
              + ": would bind "
              + range
              + " bytes of "
              + b
              + ", more than this device's maxStorageBufferRange of "
              + max
              + " bytes; split the op",
          null);
    }
    return new Window(vb.handle(), at + base, range, (int) ((start - base) / 4));
  }

  private void barrier(VkCommandBuffer cb) {
    try (MemoryStack s = stackPush()) {
      VkMemoryBarrier.Buffer b = VkMemoryBarrier.calloc(1, s);
      b.get(0).sType$Default().srcAccessMask(ALL_WRITES).dstAccessMask(ALL_ACCESS);
      vkCmdPipelineBarrier(cb, STAGES, STAGES, 0, b, null, null);
    }
  }

  private void copyBuffer(long src, long srcByte, long dst, long dstByte, long bytes) {
    Frame f = frame();
    barrier(f.commands);
    try (MemoryStack s = stackPush()) {
      VkBufferCopy.Buffer region = VkBufferCopy.calloc(1, s);
      region.get(0).srcOffset(srcByte).dstOffset(dstByte).size(bytes);
      vkCmdCopyBuffer(f.commands, src, dst, region);
    }
    f.recorded++;
  }

  private void dispatch(
      Kernel kernel, int[] push, long groupsX, long groupsY, long groupsZ, Window... bound) {
    Frame f = frame();
    if (groupsX > dev.maxGroupCount(0)
        || groupsY > dev.maxGroupCount(1)
        || groupsZ > dev.maxGroupCount(2)) {
      throw new KernelException(
          dev.id(),
          kernel.shaderName
              + ": "
              + groupsX
              + " x "
              + groupsY
              + " x "
              + groupsZ
              + " workgroups exceed this device's limits",
          null);
    }
    Pipelines.Pipeline p = dev.pipelines().get(kernel);
    long set = f.descriptorSet(p.setLayout());
    try (MemoryStack s = stackPush()) {
      VkDescriptorBufferInfo.Buffer infos = VkDescriptorBufferInfo.calloc(bound.length, s);
      VkWriteDescriptorSet.Buffer writes = VkWriteDescriptorSet.calloc(bound.length, s);
      for (int i = 0; i < bound.length; i++) {
        infos.get(i).buffer(bound[i].buffer()).offset(bound[i].offset()).range(bound[i].range());
        writes
            .get(i)
            .sType$Default()
            .dstSet(set)
            .dstBinding(i)
            .descriptorType(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER)
            .pBufferInfo(VkDescriptorBufferInfo.create(infos.address(i), 1))
            .descriptorCount(1);
      }
      vkUpdateDescriptorSets(dev.vk(), writes, null);
      barrier(f.commands);
      vkCmdBindPipeline(f.commands, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline());
      vkCmdBindDescriptorSets(
          f.commands, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout(), 0, s.longs(set), null);
      vkCmdPushConstants(f.commands, p.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push);
      vkCmdDispatch(f.commands, (int) groupsX, (int) groupsY, (int) groupsZ);
    }
    f.recorded++;
  }

  /** Workgroups for one invocation per element; the shaders loop when the count is capped. */
  private long groups(long elements) {
    long block = dev.pipelines().blockSize();
    return Math.max(1, Math.min((elements + block - 1) / block, dev.maxGroupCount(0)));
  }

  /** Workgroups for one workgroup per row. */
  private long rowGroups(long rows) {
    return Math.max(1, Math.min(rows, dev.maxGroupCount(0)));
  }

  private static int bits(float f) {
    return Float.floatToRawIntBits(f);
  }

  /** Zero-fills buffers whose memory the host cannot reach, before anything else runs. */
  void zero(List<VkAllocator.Allocation> allocations) {
    Frame f = frame();
    for (VkAllocator.Allocation a : allocations) {
      barrier(f.commands);
      vkCmdFillBuffer(f.commands, a.buffer, 0, a.size & ~3L, 0);
      f.recorded++;
    }
  }

  /** Ends a frame: makes copies to staging visible to the host once the fence signals. */
  void finish(Frame f) {
    if (f.hostReads) {
      try (MemoryStack s = stackPush()) {
        VkMemoryBarrier.Buffer b = VkMemoryBarrier.calloc(1, s);
        b.get(0)
            .sType$Default()
            .srcAccessMask(VK_ACCESS_TRANSFER_WRITE_BIT)
            .dstAccessMask(VK_ACCESS_HOST_READ_BIT);
        vkCmdPipelineBarrier(
            f.commands,
            VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_PIPELINE_STAGE_HOST_BIT,
            0,
            b,
            null,
            null);
      }
    }
  }

  // ---- memory ----

  // Host data goes through staging memory and a recorded copy, never straight into the buffer:
  // the copy must run after the commands recorded before it, and the caller may reuse its array
  // as soon as the call returns.
  @Override
  public void copyFromHost(
      float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    if (count == 0) {
      return;
    }
    Frame.Staging st = frame().staging(count * 4L);
    MemoryUtil.memFloatBuffer(st.address(), count).put(src, srcOffset, count);
    copyBuffer(
        st.buffer(), st.offset(), vk(dst).handle(), vk(dst).byteOffset(dstOffset), count * 4L);
  }

  @Override
  public void copyFromHost(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
    if (count == 0) {
      return;
    }
    Frame.Staging st = frame().staging(count * 4L);
    MemoryUtil.memIntBuffer(st.address(), count).put(src, srcOffset, count);
    copyBuffer(
        st.buffer(), st.offset(), vk(dst).handle(), vk(dst).byteOffset(dstOffset), count * 4L);
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
    if (count == 0) {
      return;
    }
    Frame f = frame();
    Frame.Staging st = f.staging(count * 4L);
    copyBuffer(
        vk(src).handle(), vk(src).byteOffset(srcOffset), st.buffer(), st.offset(), count * 4L);
    f.hostReads = true;
    long address = st.address();
    f.afterCompletion(() -> MemoryUtil.memFloatBuffer(address, count).get(dst, dstOffset, count));
  }

  @Override
  public void copyToHost(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
    if (count == 0) {
      return;
    }
    Frame f = frame();
    Frame.Staging st = f.staging(count * 4L);
    copyBuffer(
        vk(src).handle(), vk(src).byteOffset(srcOffset), st.buffer(), st.offset(), count * 4L);
    f.hostReads = true;
    long address = st.address();
    f.afterCompletion(() -> MemoryUtil.memIntBuffer(address, count).get(dst, dstOffset, count));
  }

  @Override
  public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long count) {
    if (count == 0) {
      return;
    }
    copyBuffer(
        vk(src).handle(),
        vk(src).byteOffset(srcOffset),
        vk(dst).handle(),
        vk(dst).byteOffset(dstOffset),
        count * 4);
  }

  @Override
  public void fill(DeviceBuffer dst, long offset, long count, float value) {
    if (count == 0) {
      return;
    }
    Frame f = frame();
    barrier(f.commands);
    vkCmdFillBuffer(
        f.commands, vk(dst).handle(), vk(dst).byteOffset(offset), count * 4, bits(value));
    f.recorded++;
  }

  // ---- compute ----

  @Override
  public void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      DeviceBuffer a,
      long aOffset,
      int lda,
      DeviceBuffer b,
      long bOffset,
      int ldb,
      float beta,
      DeviceBuffer c,
      long cOffset,
      int ldc) {
    gemmStridedBatched(
        transA, transB, m, n, k, alpha, a, aOffset, lda, 0, b, bOffset, ldb, 0, beta, c, cOffset,
        ldc, 0, 1);
  }

  @Override
  public void gemmStridedBatched(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      DeviceBuffer a,
      long aOffset,
      int lda,
      long strideA,
      DeviceBuffer b,
      long bOffset,
      int ldb,
      long strideB,
      float beta,
      DeviceBuffer c,
      long cOffset,
      int ldc,
      long strideC,
      int batch) {
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    long last = batch - 1L;
    Window wa = window("gemm", a, aOffset, strideA * last + (long) (aRows - 1) * lda + aCols);
    Window wb = window("gemm", b, bOffset, strideB * last + (long) (bRows - 1) * ldb + bCols);
    Window wc = window("gemm", c, cOffset, strideC * last + (long) (m - 1) * ldc + n);
    // Strides fit in 32 bits whenever they matter: every element they reach lies in a window.
    int sa = batch == 1 ? 0 : (int) strideA;
    int sb = batch == 1 ? 0 : (int) strideB;
    int sc = batch == 1 ? 0 : (int) strideC;
    int flags = (transA ? 1 : 0) | (transB ? 2 : 0);
    long tile = Kernel.GEMM_TILE;
    long gx = (n + tile - 1) / tile;
    long gy = (m + tile - 1) / tile;
    int maxZ = dev.maxGroupCount(2);
    for (int base = 0; base < batch; base += maxZ) {
      int[] push = {
        m,
        n,
        k,
        lda,
        ldb,
        ldc,
        wa.first(),
        wb.first(),
        wc.first(),
        sa,
        sb,
        sc,
        bits(alpha),
        bits(beta),
        flags,
        base
      };
      dispatch(Kernel.GEMM, push, gx, gy, Math.min(maxZ, batch - base), wa, wb, wc);
    }
  }

  @Override
  public void unary(UnaryOp op, DeviceBuffer x, DeviceBuffer y, long n) {
    Window wx = window("unary", x, 0, n);
    Window wy = window("unary", y, 0, n);
    dispatch(Kernel.UNARY, new int[] {(int) n, op.ordinal()}, groups(n), 1, 1, wx, wy);
  }

  @Override
  public void affine(DeviceBuffer x, DeviceBuffer y, long n, float scale, float shift) {
    Window wx = window("affine", x, 0, n);
    Window wy = window("affine", y, 0, n);
    dispatch(Kernel.AFFINE, new int[] {(int) n, bits(scale), bits(shift)}, groups(n), 1, 1, wx, wy);
  }

  @Override
  public void binary(
      BinaryOp op,
      DeviceBuffer a,
      DeviceBuffer b,
      DeviceBuffer out,
      int rows,
      int cols,
      Broadcast broadcast) {
    long size = (long) rows * cols;
    long bSize =
        switch (broadcast) {
          case NONE -> size;
          case ROW -> cols;
          case COLUMN -> rows;
          case SCALAR -> 1;
        };
    Window wa = window("binary", a, 0, size);
    Window wb = window("binary", b, 0, bSize);
    Window wo = window("binary", out, 0, size);
    dispatch(
        Kernel.BINARY,
        new int[] {rows, cols, op.ordinal(), broadcast.ordinal()},
        groups(size),
        1,
        1,
        wa,
        wb,
        wo);
  }

  @Override
  public void reduce(ReduceOp op, DeviceBuffer x, DeviceBuffer out, int rows, int cols, int axis) {
    Window wx = window("reduce", x, 0, (long) rows * cols);
    Window wo = window("reduce", out, 0, axis == 0 ? cols : rows);
    int[] push = {rows, cols, op.ordinal()};
    if (axis == 1) {
      dispatch(Kernel.REDUCE_ROWS, push, rowGroups(rows), 1, 1, wx, wo);
    } else {
      dispatch(Kernel.REDUCE_COLS, push, groups(cols), 1, 1, wx, wo);
    }
  }

  @Override
  public void argmax(DeviceBuffer x, DeviceBuffer out, int rows, int cols) {
    Window wx = window("argmax", x, 0, (long) rows * cols);
    Window wo = window("argmax", out, 0, rows);
    dispatch(Kernel.ARGMAX, new int[] {rows, cols}, groups(rows), 1, 1, wx, wo);
  }

  private static int[] conv(int first, int second, ConvGeometry g) {
    return new int[] {
      first,
      second,
      g.channels(),
      g.height(),
      g.width(),
      g.kernelH(),
      g.kernelW(),
      g.strideH(),
      g.strideW(),
      g.padH(),
      g.padW(),
      g.outHeight(),
      g.outWidth()
    };
  }

  @Override
  public void im2col(
      DeviceBuffer image, long imageOffset, ConvGeometry g, DeviceBuffer cols, long colsOffset) {
    Window wi = window("im2col", image, imageOffset, g.imageSize());
    Window wc = window("im2col", cols, colsOffset, g.columnsSize());
    dispatch(Kernel.IM2COL, conv(wi.first(), wc.first(), g), groups(g.columnsSize()), 1, 1, wi, wc);
  }

  @Override
  public void col2im(
      DeviceBuffer cols, long colsOffset, ConvGeometry g, DeviceBuffer image, long imageOffset) {
    Window wc = window("col2im", cols, colsOffset, g.columnsSize());
    Window wi = window("col2im", image, imageOffset, g.imageSize());
    dispatch(Kernel.COL2IM, conv(wc.first(), wi.first(), g), groups(g.imageSize()), 1, 1, wc, wi);
  }

  private static int[] pool(PoolGeometry g) {
    return new int[] {
      g.planes(), g.height(), g.width(), g.kernel(), g.stride(), g.outHeight(), g.outWidth()
    };
  }

  @Override
  public void maxPoolForward(DeviceBuffer x, DeviceBuffer y, DeviceBuffer indices, PoolGeometry g) {
    Window wx = window("maxPoolForward", x, 0, g.inputSize());
    Window wy = window("maxPoolForward", y, 0, g.outputSize());
    Window wi = window("maxPoolForward", indices, 0, g.outputSize());
    dispatch(Kernel.MAXPOOL_FORWARD, pool(g), groups(g.outputSize()), 1, 1, wx, wy, wi);
  }

  @Override
  public void maxPoolBackward(
      DeviceBuffer dy, DeviceBuffer indices, DeviceBuffer dx, PoolGeometry g) {
    Window wdy = window("maxPoolBackward", dy, 0, g.outputSize());
    Window wi = window("maxPoolBackward", indices, 0, g.outputSize());
    Window wdx = window("maxPoolBackward", dx, 0, g.inputSize());
    dispatch(Kernel.MAXPOOL_BACKWARD, pool(g), groups(g.inputSize()), 1, 1, wdy, wi, wdx);
  }

  @Override
  public void softmaxCrossEntropyForward(
      DeviceBuffer logits,
      DeviceBuffer labels,
      DeviceBuffer probs,
      DeviceBuffer losses,
      int rows,
      int cols) {
    long size = (long) rows * cols;
    Window wl = window("softmaxCrossEntropyForward", logits, 0, size);
    Window wlab = window("softmaxCrossEntropyForward", labels, 0, rows);
    Window wp = window("softmaxCrossEntropyForward", probs, 0, size);
    Window wloss = window("softmaxCrossEntropyForward", losses, 0, rows);
    dispatch(
        Kernel.SOFTMAX_CE_FORWARD,
        new int[] {rows, cols},
        rowGroups(rows),
        1,
        1,
        wl,
        wlab,
        wp,
        wloss);
  }

  @Override
  public void softmaxCrossEntropyBackward(
      DeviceBuffer probs,
      DeviceBuffer labels,
      DeviceBuffer dlogits,
      int rows,
      int cols,
      float scale) {
    long size = (long) rows * cols;
    Window wp = window("softmaxCrossEntropyBackward", probs, 0, size);
    Window wlab = window("softmaxCrossEntropyBackward", labels, 0, rows);
    Window wd = window("softmaxCrossEntropyBackward", dlogits, 0, size);
    dispatch(
        Kernel.SOFTMAX_CE_BACKWARD,
        new int[] {rows, cols, bits(scale)},
        groups(size),
        1,
        1,
        wp,
        wlab,
        wd);
  }

  @Override
  public void sgdUpdate(
      DeviceBuffer param,
      DeviceBuffer grad,
      DeviceBuffer velocity,
      long n,
      float lr,
      float momentum,
      float weightDecay) {
    Window wp = window("sgdUpdate", param, 0, n);
    Window wg = window("sgdUpdate", grad, 0, n);
    // Without momentum the shader never touches velocity: bind param in its place.
    Window wv = velocity == null ? wp : window("sgdUpdate", velocity, 0, n);
    dispatch(
        Kernel.SGD,
        new int[] {(int) n, bits(lr), bits(momentum), bits(weightDecay)},
        groups(n),
        1,
        1,
        wp,
        wg,
        wv);
  }

  @Override
  public void adamUpdate(
      DeviceBuffer param,
      DeviceBuffer grad,
      DeviceBuffer m,
      DeviceBuffer v,
      long n,
      double lr,
      double beta1,
      double beta2,
      float eps,
      float weightDecay,
      int step) {
    // The scalars as the CPU backend computes them: in double, rounded to float once.
    double bc1 = 1 - StrictMath.pow(beta1, step);
    double bc2 = 1 - StrictMath.pow(beta2, step);
    float stepSize = (float) (lr / bc1);
    float bc2Sqrt = (float) Math.sqrt(bc2);
    float oneMinusBeta1 = (float) (1.0 - beta1);
    float oneMinusBeta2 = (float) (1.0 - beta2);
    Window wp = window("adamUpdate", param, 0, n);
    Window wg = window("adamUpdate", grad, 0, n);
    Window wm = window("adamUpdate", m, 0, n);
    Window wv = window("adamUpdate", v, 0, n);
    int[] push = {
      (int) n,
      bits(stepSize),
      bits((float) beta2),
      bits(eps),
      bits(weightDecay),
      bits(bc2Sqrt),
      bits(oneMinusBeta1),
      bits(oneMinusBeta2)
    };
    dispatch(Kernel.ADAM, push, groups(n), 1, 1, wp, wg, wm, wv);
  }
}
