package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.KHRPortabilitySubset.VK_KHR_PORTABILITY_SUBSET_EXTENSION_NAME;
import static org.lwjgl.vulkan.VK10.VK_SUCCESS;
import static org.lwjgl.vulkan.VK10.vkCreateDevice;
import static org.lwjgl.vulkan.VK10.vkDestroyDevice;
import static org.lwjgl.vulkan.VK10.vkDeviceWaitIdle;
import static org.lwjgl.vulkan.VK10.vkEnumerateDeviceExtensionProperties;
import static org.lwjgl.vulkan.VK10.vkGetDeviceQueue;
import static org.lwjgl.vulkan.VK10.vkGetPhysicalDeviceMemoryProperties;
import static org.lwjgl.vulkan.VK10.vkGetPhysicalDeviceProperties;

import io.zbmd.gpu.Bytes;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.nio.IntBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.VkDevice;
import org.lwjgl.vulkan.VkDeviceCreateInfo;
import org.lwjgl.vulkan.VkDeviceQueueCreateInfo;
import org.lwjgl.vulkan.VkExtensionProperties;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceLimits;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceProperties;
import org.lwjgl.vulkan.VkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Vulkan device in use: its {@code VkDevice} and compute queue, memory, pipelines and stream,
 * and the bookkeeping that lets buffers be freed from any thread while the GPU may still read them.
 *
 * <p>Every submission gets a serial when its recording starts; the stream's fence waiter reports
 * serials completed in order. A buffer freed while serial {@code s} is the latest is destroyed once
 * {@code s} completes (at once when nothing is in flight).
 */
final class VulkanDevice implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VulkanDevice.class);

  private final DeviceId id;
  private final VkObjects objects;
  private final VkDevice vk;
  private final VkQueue queue;
  private final int queueFamily;
  private final Device device;
  private final long maxStorageBufferRange;
  private final long minStorageBufferOffsetAlignment;
  private final int[] maxGroupCount = new int[3];
  private final long heapBytes;
  private final VkAllocator memory;
  private final Pipelines pipelines;
  private final VulkanStream stream;

  private final AtomicLong lastSerial = new AtomicLong();
  private final Object deferLock = new Object();
  private long completedSerial; // guarded by deferLock
  private final ArrayDeque<Deferred> deferred =
      new ArrayDeque<>(); // guarded by deferLock, by serial
  private final List<VkAllocator.Allocation> toZero = new ArrayList<>(); // guarded by deferLock

  // Live buffers, weakly, so that close() releases what users still hold while an unreachable
  // buffer stays collectable (and visible to the leak detector); the trackers reclaim its memory.
  private final Set<DeviceBuffer> live =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  private final Set<VulkanBuffer.Tracker> tracked = ConcurrentHashMap.newKeySet();
  private final ReferenceQueue<VulkanBuffer> collected = new ReferenceQueue<>();

  private volatile DeviceLostException lost;
  private volatile boolean closed;

  private record Deferred(VkAllocator.Allocation allocation, long serial) {}

  VulkanDevice(
      DeviceId id,
      VkPhysicalDevice physical,
      PhysicalDeviceInfo info,
      VulkanSettings settings,
      ShaderCache shaders,
      VkObjects objects) {
    this.id = id;
    this.objects = objects;
    this.queueFamily = info.computeQueueFamily();
    int gemmWorkgroup = settings.gemmWorkgroupFor(info.kind());
    try (MemoryStack s = stackPush()) {
      VkPhysicalDeviceProperties props = VkPhysicalDeviceProperties.malloc(s);
      vkGetPhysicalDeviceProperties(physical, props);
      VkPhysicalDeviceLimits limits = props.limits();
      this.maxStorageBufferRange = Integer.toUnsignedLong(limits.maxStorageBufferRange());
      this.minStorageBufferOffsetAlignment = Math.max(4, limits.minStorageBufferOffsetAlignment());
      for (int i = 0; i < 3; i++) {
        maxGroupCount[i] = limits.maxComputeWorkGroupCount(i);
      }
      int invocations = limits.maxComputeWorkGroupInvocations();
      int widest = Math.min(invocations, limits.maxComputeWorkGroupSize(0));
      int gemmInvocations = gemmWorkgroup * gemmWorkgroup;
      if (settings.blockSize() > widest || gemmInvocations > invocations) {
        throw new IllegalStateException(
            info.name()
                + " runs at most "
                + invocations
                + " invocations per workgroup, "
                + widest
                + " along x; "
                + VulkanSettings.PATH
                + ".block-size = "
                + settings.blockSize()
                + " needs that many along x, gemm-workgroup = "
                + gemmWorkgroup
                + " needs "
                + gemmInvocations
                + " (8 needs 64)");
      }
      VkDeviceQueueCreateInfo.Buffer queues = VkDeviceQueueCreateInfo.calloc(1, s);
      queues.get(0).sType$Default().queueFamilyIndex(queueFamily).pQueuePriorities(s.floats(1f));
      // A portability driver (MoltenVK) requires its subset extension to be enabled.
      PointerBuffer extensions =
          hasExtension(physical, VK_KHR_PORTABILITY_SUBSET_EXTENSION_NAME, s)
              ? s.pointers(s.UTF8(VK_KHR_PORTABILITY_SUBSET_EXTENSION_NAME))
              : null;
      VkDeviceCreateInfo create =
          VkDeviceCreateInfo.calloc(s)
              .sType$Default()
              .pQueueCreateInfos(queues)
              .ppEnabledExtensionNames(extensions);
      PointerBuffer pp = s.mallocPointer(1);
      int r = vkCreateDevice(physical, create, null, pp);
      if (r != VK_SUCCESS) {
        throw Vk.failure(id, r, "vkCreateDevice for " + info.name(), 0, 0);
      }
      this.vk = new VkDevice(pp.get(0), physical, create);
      objects.created("VkDevice");
      vkGetDeviceQueue(vk, queueFamily, 0, pp);
      this.queue = new VkQueue(pp.get(0), vk);
      VkPhysicalDeviceMemoryProperties mem = VkPhysicalDeviceMemoryProperties.malloc(s);
      vkGetPhysicalDeviceMemoryProperties(physical, mem);
      this.heapBytes = info.memoryBytes();
      this.memory = new VkAllocator(this, mem, settings.memoryBlockSize(), settings.memoryBudget());
    }
    this.device =
        new Device(
            id,
            info.kind(),
            info.name() + ", Vulkan " + info.apiVersion(),
            memory.capacity(heapBytes));
    this.pipelines = new Pipelines(this, shaders, settings.blockSize(), gemmWorkgroup);
    this.stream = new VulkanStream(this);
  }

  private static boolean hasExtension(VkPhysicalDevice physical, String name, MemoryStack s) {
    IntBuffer n = s.mallocInt(1);
    if (vkEnumerateDeviceExtensionProperties(physical, (String) null, n, null) != VK_SUCCESS) {
      return false;
    }
    VkExtensionProperties.Buffer props = VkExtensionProperties.malloc(n.get(0), s);
    vkEnumerateDeviceExtensionProperties(physical, (String) null, n, props);
    for (int i = 0; i < n.get(0); i++) {
      if (props.get(i).extensionNameString().equals(name)) {
        return true;
      }
    }
    return false;
  }

  DeviceId id() {
    return id;
  }

  Device device() {
    return device;
  }

  VkDevice vk() {
    return vk;
  }

  VkQueue queue() {
    return queue;
  }

  int queueFamily() {
    return queueFamily;
  }

  VkObjects objects() {
    return objects;
  }

  VkAllocator memory() {
    return memory;
  }

  Pipelines pipelines() {
    return pipelines;
  }

  VulkanStream stream() {
    return stream;
  }

  long maxStorageBufferRange() {
    return maxStorageBufferRange;
  }

  long minStorageBufferOffsetAlignment() {
    return minStorageBufferOffsetAlignment;
  }

  int maxGroupCount(int dimension) {
    return maxGroupCount[dimension];
  }

  /** Bytes free for buffers: the heap (or budget) less the live buffers. */
  long freeBytes() {
    return Math.max(0, memory.capacity(heapBytes) - memory.usedBytes());
  }

  // ---- failures ----

  /** The failure a {@code VkResult} means; a lost device is marked lost for every later call. */
  DeviceException failure(int result, String call, long requested) {
    DeviceException e = Vk.failure(id, result, call, requested, freeBytes());
    if (e instanceof DeviceLostException l) {
      markLost(l);
    }
    return e;
  }

  void check(int result, String call) {
    if (result != VK_SUCCESS) {
      throw failure(result, call, 0);
    }
  }

  /** From now on every allocation and submission fails fast with a {@link DeviceLostException}. */
  void markLost(DeviceLostException cause) {
    if (lost == null) {
      lost = cause;
      log.error("{} is lost: {}", id, cause.getMessage());
    }
  }

  /** A fresh exception for a call on a lost device, or null when the device is fine. */
  DeviceLostException lostFailure(String what) {
    DeviceLostException l = lost;
    return l == null
        ? null
        : new DeviceLostException(
            id, what + " refused: the device was lost earlier (" + l.getMessage() + ")", l);
  }

  // ---- buffers ----

  VulkanBuffer allocate(DType dtype, long elements, String owner) {
    if (closed) {
      throw new IllegalStateException(
          "the vulkan backend is closed; cannot allocate on " + id + " for " + owner);
    }
    DeviceLostException l = lostFailure("allocate for " + owner);
    if (l != null) {
      throw l;
    }
    if (dtype != DType.FLOAT32 && dtype != DType.INT32) {
      throw new IllegalArgumentException("the vulkan backend does not support " + dtype + " yet");
    }
    if (elements <= 0) {
      throw new IllegalArgumentException("buffer size must be > 0 elements, got " + elements);
    }
    reclaimCollected();
    long bytes = Math.multiplyExact(elements, (long) dtype.byteSize());
    VkAllocator.Allocation a = memory.allocate(bytes, VkAllocator.Use.DEVICE);
    // Zeroed, as the CPU backend's buffers are, so that no result depends on old memory. The range
    // is free, so no submitted work uses it: mapped memory is cleared here, other memory by the
    // first command of the next submission.
    if (a.address() != 0) {
      MemoryUtil.memSet(a.address(), 0, bytes);
    } else {
      zeroOnDevice(a);
    }
    VulkanBuffer b = new VulkanBuffer(id, dtype, elements, owner, this, a, collected);
    tracked.add(b.tracker());
    live.add(b);
    return b;
  }

  /**
   * Zeroes {@code a} with the first command of the next submission: for memory the host cannot
   * reach (device-local memory of a discrete GPU).
   */
  void zeroOnDevice(VkAllocator.Allocation a) {
    synchronized (deferLock) {
      toZero.add(a);
    }
  }

  /** Called when a buffer's last reference is released. */
  void free(VulkanBuffer b) {
    live.remove(b);
    if (tracked.remove(b.tracker())) {
      b.tracker().clear();
      release(b.allocation());
    }
  }

  /** Frees what buffers the garbage collector found unreachable held. */
  void reclaimCollected() {
    Reference<? extends VulkanBuffer> r;
    while ((r = collected.poll()) != null) {
      VulkanBuffer.Tracker t = (VulkanBuffer.Tracker) r;
      if (tracked.remove(t)) {
        log.debug(
            "{}: reclaiming {} of a buffer collected without release",
            id,
            Bytes.format(t.allocation.size));
        release(t.allocation);
      }
    }
  }

  /** Destroys {@code a} once the work submitted so far is done. */
  private void release(VkAllocator.Allocation a) {
    synchronized (deferLock) {
      toZero.remove(a);
      long serial = lastSerial.get();
      if (serial <= completedSerial) {
        memory.free(a);
      } else {
        deferred.add(new Deferred(a, serial));
      }
    }
  }

  // ---- submissions ----

  /** The serial of a submission about to be recorded. */
  long nextSerial() {
    return lastSerial.incrementAndGet();
  }

  /** Buffers waiting to be zeroed by the next submission (taken: the caller zeroes them). */
  List<VkAllocator.Allocation> takeBuffersToZero() {
    synchronized (deferLock) {
      if (toZero.isEmpty()) {
        return List.of();
      }
      List<VkAllocator.Allocation> out = List.copyOf(toZero);
      toZero.clear();
      return out;
    }
  }

  /** Submissions up to {@code serial} are done: destroys what was freed while they ran. */
  void completed(long serial) {
    synchronized (deferLock) {
      completedSerial = Math.max(completedSerial, serial);
      while (!deferred.isEmpty() && deferred.peek().serial() <= completedSerial) {
        memory.free(deferred.poll().allocation());
      }
    }
    reclaimCollected();
  }

  // ---- close ----

  /**
   * Finishes the queued work, waits for the device to be idle, frees every buffer (those still held
   * too, as the Backend contract says) and destroys every Vulkan object of the device.
   */
  @Override
  public void close() {
    closed = true;
    stream.close();
    int r = vkDeviceWaitIdle(vk);
    if (r != VK_SUCCESS) {
      log.warn("{}: vkDeviceWaitIdle returned {} at close", id, Vk.name(r));
    }
    List<DeviceBuffer> remaining;
    synchronized (live) {
      remaining = List.copyOf(live);
    }
    for (DeviceBuffer b : remaining) {
      while (!b.isFreed()) {
        try {
          b.release();
        } catch (IllegalStateException raced) {
          break; // released concurrently by its owner: freed either way
        }
      }
    }
    completed(lastSerial.get());
    for (VulkanBuffer.Tracker t : List.copyOf(tracked)) {
      if (tracked.remove(t)) {
        release(t.allocation);
      }
    }
    stream.destroyFrames();
    pipelines.close();
    memory.close();
    vkDestroyDevice(vk, null);
    objects.destroyed("VkDevice");
  }

  boolean isClosed() {
    return closed;
  }
}
