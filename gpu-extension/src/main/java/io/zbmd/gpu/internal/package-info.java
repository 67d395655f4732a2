/**
 * Internal API of the GPU extension, shared by backends: not for users, and free to change between
 * releases (as Pekko's {@code internal} packages). {@link io.zbmd.gpu.internal.CheckedOps} holds the
 * argument checks every backend's stream hands its work through.
 */
package io.zbmd.gpu.internal;
