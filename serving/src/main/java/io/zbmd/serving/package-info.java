/**
 * HTTP model serving (Open Inference Protocol v2 REST) with a dynamic batcher per model.
 *
 * <p>Placeholder until the serving issue lands: this module holds only its package and its
 * {@code reference.conf}.
 */
package io.zbmd.serving;
