/**
 * Training checkpoints journaled with Pekko Persistence (H2 embedded by default, PostgreSQL by
 * config) and a checkpoint store for the tensors themselves.
 *
 * <p>Placeholder until the checkpoints issue lands: this module holds only its package and its
 * {@code reference.conf}.
 */
package io.zbmd.checkpoint;
