package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.VK_SUCCESS;
import static org.lwjgl.vulkan.VK10.VK_TIMEOUT;
import static org.lwjgl.vulkan.VK10.vkEndCommandBuffer;
import static org.lwjgl.vulkan.VK10.vkQueueSubmit;
import static org.lwjgl.vulkan.VK10.vkWaitForFences;

import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.internal.CheckedOps;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkSubmitInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream of one Vulkan device. Work runs in order on the device's stream thread, which records
 * its ops into a command buffer and submits it with a fence; a second thread waits for the fences
 * in submission order, copies what the work asked for into host arrays, and completes the stages.
 * Neither the caller nor the stream thread waits for the GPU (the stream thread only waits when
 * {@value #MAX_FRAMES} submissions are in flight). Stages complete in submission order.
 *
 * <p>As on a CUDA stream, ops run after the work returns: a host array given to {@code copyToHost}
 * holds the values once the stage completes, not when the call returns, so read it after the stage
 * (the CPU backend happens to fill it at once). If the work throws after recording some ops, what
 * it recorded is still submitted (as a CPU or CUDA stream would have run it) and the stage fails
 * with the exception once that is done.
 *
 * <p>Stages complete on the fence waiter thread: a callback that blocks on another stage of this
 * device would wait forever (as one on the CPU backend's worker would).
 */
final class VulkanStream implements DeviceStream {
  private static final Logger log = LoggerFactory.getLogger(VulkanStream.class);

  /** Submissions in flight before the stream thread waits for one to finish. */
  static final int MAX_FRAMES = 8;

  private static final long FENCE_WAIT_NANOS = 1_000_000_000L;

  private final VulkanDevice dev;
  private final VulkanOps ops;
  private final CheckedOps checked;
  private final ExecutorService submitter;
  private final Thread waiter;
  private final LinkedBlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
  private final Object frameLock = new Object();
  private final ArrayDeque<Frame> freeFrames = new ArrayDeque<>(); // guarded by frameLock
  private final List<Frame> frames = new ArrayList<>(); // guarded by frameLock
  private volatile boolean closed;

  /** A recorded submission on its way through the fence waiter. */
  private record Pending(
      Frame frame,
      boolean submitted,
      Object value,
      Throwable error,
      CompletableFuture<Object> result) {}

  private static final Pending STOP = new Pending(null, false, null, null, null);

  VulkanStream(VulkanDevice dev) {
    this.dev = dev;
    this.ops = new VulkanOps(dev);
    // Checked: no bad offset, stride or freed buffer reaches a command buffer.
    this.checked = new CheckedOps(ops, VulkanBuffer.class);
    String key = dev.id().key();
    this.submitter =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "zbmd-" + key + "-stream");
              t.setDaemon(true);
              return t;
            });
    this.waiter = new Thread(this::waitForFences, "zbmd-" + key + "-fences");
    waiter.setDaemon(true);
    waiter.start();
  }

  @Override
  public Device device() {
    return dev.device();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> CompletionStage<T> submit(Work<T> work) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    DeviceLostException lost = dev.lostFailure("submit");
    if (lost != null) {
      result.completeExceptionally(lost);
    } else if (closed) {
      result.completeExceptionally(new IllegalStateException(dev.id() + ": backend is closed"));
    } else {
      try {
        submitter.execute(() -> record(work, result));
      } catch (RejectedExecutionException e) {
        result.completeExceptionally(
            new IllegalStateException(dev.id() + ": backend is closed", e));
      }
    }
    return (CompletionStage<T>) result;
  }

  /** On the stream thread: records the work into a frame, submits it, hands it to the waiter. */
  private void record(Work<?> work, CompletableFuture<Object> result) {
    DeviceLostException lost = dev.lostFailure("submit");
    if (lost != null) {
      result.completeExceptionally(lost);
      return;
    }
    Frame frame;
    try {
      frame = acquireFrame();
    } catch (Throwable t) {
      result.completeExceptionally(t);
      return;
    }
    // From here on the frame holds a serial: it goes through the waiter whatever happens, so that
    // serials complete in order.
    frame.serial = dev.nextSerial();
    Object value = null;
    Throwable error = null;
    boolean submitted = false;
    try {
      frame.begin();
      ops.attach(frame);
      try {
        ops.zero(dev.takeBuffersToZero());
        value = work.run(checked);
      } catch (Throwable t) {
        error = t;
      } finally {
        ops.detach();
      }
      if (frame.recorded > 0) {
        ops.finish(frame);
        submit(frame);
        submitted = true;
      }
    } catch (Throwable t) {
      if (error == null) {
        error = t;
      } else {
        error.addSuppressed(t);
      }
    }
    pending.add(new Pending(frame, submitted, value, error, result));
  }

  private void submit(Frame frame) {
    dev.check(vkEndCommandBuffer(frame.commands), "vkEndCommandBuffer");
    try (MemoryStack s = stackPush()) {
      VkSubmitInfo info =
          VkSubmitInfo.calloc(s).sType$Default().pCommandBuffers(s.pointers(frame.commands));
      int r = vkQueueSubmit(dev.queue(), info, frame.fence);
      if (r != VK_SUCCESS) {
        throw dev.failure(r, "vkQueueSubmit", 0);
      }
      frame.fenceSubmitted = true;
    }
  }

  private Frame acquireFrame() throws InterruptedException {
    Frame frame;
    synchronized (frameLock) {
      while (freeFrames.isEmpty() && frames.size() >= MAX_FRAMES) {
        frameLock.wait();
      }
      frame = freeFrames.pollLast(); // the most recently used: its staging is warm
      if (frame == null) {
        frame = new Frame(dev);
        frames.add(frame);
      }
    }
    try {
      frame.reset();
    } catch (RuntimeException e) {
      returnFrame(frame);
      throw e;
    }
    return frame;
  }

  private void returnFrame(Frame frame) {
    synchronized (frameLock) {
      freeFrames.add(frame);
      frameLock.notifyAll();
    }
  }

  /** The fence waiter: completes submissions in order. */
  private void waitForFences() {
    while (true) {
      Pending p;
      try {
        p = pending.take();
      } catch (InterruptedException e) {
        continue; // only STOP ends the waiter: every stage must complete
      }
      if (p == STOP) {
        return;
      }
      Throwable error = p.error();
      if (p.submitted()) {
        int r;
        do {
          r = vkWaitForFences(dev.vk(), p.frame().fence, true, FENCE_WAIT_NANOS);
        } while (r == VK_TIMEOUT);
        if (r != VK_SUCCESS) {
          Throwable failure = dev.failure(r, "vkWaitForFences", 0);
          if (error != null) {
            failure.addSuppressed(error);
          }
          error = failure;
        } else if (error == null) {
          try {
            p.frame().runAfterCompletion();
          } catch (Throwable t) {
            error = t;
          }
        }
      }
      dev.completed(p.frame().serial);
      returnFrame(p.frame());
      if (error == null) {
        p.result().complete(p.value());
      } else {
        p.result().completeExceptionally(error);
      }
    }
  }

  /** Runs the work queued so far, waits for it to complete, and stops both threads. */
  void close() {
    closed = true;
    submitter.shutdown();
    try {
      if (!submitter.awaitTermination(60, TimeUnit.SECONDS)) {
        log.error("{}: queued work did not finish within 60 s of close", dev.id());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pending.add(STOP);
    try {
      waiter.join(TimeUnit.SECONDS.toMillis(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (waiter.isAlive()) {
      log.error("{}: the fence waiter did not finish within 60 s of close", dev.id());
    }
  }

  /** Destroys the frames; after {@link #close} and once the device is idle. */
  void destroyFrames() {
    synchronized (frameLock) {
      for (Frame f : frames) {
        f.destroy();
      }
      frames.clear();
      freeFrames.clear();
    }
  }
}
