package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import jcuda.Pointer;

/**
 * Page-locked host memory for the copies between Java arrays and the device, so that they are
 * asynchronous on the device's stream: a copy to the device first fills a block from the array on
 * the stream thread; a copy to the host fills a block on the device and the completion thread
 * empties it into the array. Blocks come in power-of-two sizes from 64 KiB to {@link
 * #CHUNK_BYTES} (larger copies go in chunks) and are reused: {@code cuMemAllocHost} is slow.
 * Allocation needs the device's context current (the stream thread); release is thread-safe.
 */
final class PinnedPool {
  /** The largest block; copies are split into chunks of at most this many bytes. */
  static final int CHUNK_BYTES = 16 << 20;

  private static final int MIN_SHIFT = 16;
  private static final int MAX_SHIFT = 24;

  /** One page-locked block and views of it (absolute access only: the views are shared). */
  static final class Block {
    final Pointer host;
    final int sizeClass;
    final ByteBuffer bytes;
    final FloatBuffer floats;
    final IntBuffer ints;

    Block(Pointer host, int sizeClass, long size) {
      this.host = host;
      this.sizeClass = sizeClass;
      this.bytes = host.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
      this.floats = bytes.asFloatBuffer();
      this.ints = bytes.asIntBuffer();
    }
  }

  private final CudaDevice device;
  @SuppressWarnings("unchecked")
  private final ConcurrentLinkedQueue<Block>[] free = new ConcurrentLinkedQueue[MAX_SHIFT - MIN_SHIFT + 1];

  PinnedPool(CudaDevice device) {
    this.device = device;
    for (int i = 0; i < free.length; i++) {
      free[i] = new ConcurrentLinkedQueue<>();
    }
  }

  /** A block of at least {@code bytes} (at most {@link #CHUNK_BYTES}); needs the context current. */
  Block acquire(long bytes) {
    int shift = MIN_SHIFT;
    while ((1L << shift) < bytes) {
      shift++;
    }
    if (shift > MAX_SHIFT) {
      throw new IllegalArgumentException("staging block of " + bytes + " bytes; copies are chunked at " + CHUNK_BYTES);
    }
    Block b = free[shift - MIN_SHIFT].poll();
    if (b != null) {
      return b;
    }
    long size = 1L << shift;
    Pointer p = new Pointer();
    int r = cuMemAllocHost(p, size);
    if (r != 0) {
      throw device.error("cuMemAllocHost (" + size + " bytes of page-locked staging memory)", r, size);
    }
    return new Block(p, shift - MIN_SHIFT, size);
  }

  void release(Block b) {
    free[b.sizeClass].offer(b);
  }

  /** Frees every pooled block; needs the context current. */
  void close() {
    for (ConcurrentLinkedQueue<Block> q : free) {
      for (Block b; (b = q.poll()) != null; ) {
        cuMemFreeHost(b.host);
      }
    }
  }
}
