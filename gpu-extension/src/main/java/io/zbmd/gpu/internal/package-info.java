/**
 * Internal API of the GPU extension, free to change between releases (as Pekko's {@code internal}
 * packages): the argument checks every backend's stream hands its work through ({@link
 * io.zbmd.gpu.internal.CheckedOps}), device registry entries, memory accounting, leak tracking,
 * pinned-dispatcher plumbing and backend discovery. Not for users.
 */
package io.zbmd.gpu.internal;
