/**
 * ML actors: tensors, layers, optimizers, data loading, model actors and the training supervisor.
 *
 * <p>Placeholder until the ml-actors issue lands: this module holds only its package and its
 * {@code reference.conf}.
 */
package io.zbmd.ml;
