/**
 * Internal API of the GPU extension: device registry entries, memory accounting, leak tracking,
 * pinned-dispatcher plumbing and backend discovery. Not for use outside {@code io.zbmd.gpu}; it may
 * change without notice.
 */
package io.zbmd.gpu.internal;
