package io.zbmd.gpu;

/**
 * Netty's reference-counting contract, for device buffers that cross actors: the sender
 * {@link #retain()}s before handing a buffer over, the receiver {@link #release()}s when done, and
 * the storage is freed when the count reaches zero.
 */
public interface ReferenceCounted {
  /** The current count; 0 once freed. */
  int refCnt();

  /** Adds one reference. @throws IllegalStateException if already freed */
  ReferenceCounted retain();

  /** Drops one reference; returns true when that freed the storage. */
  boolean release();

  /** Records a hint (where the buffer is now) that a leak report shows. */
  ReferenceCounted touch(Object hint);
}
