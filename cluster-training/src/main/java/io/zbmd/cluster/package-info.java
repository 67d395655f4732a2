/**
 * Data-parallel training across a Pekko Cluster: coordinator singleton, workers, ring all-reduce.
 *
 * <p>Placeholder until the cluster-training issue lands: this module holds only its package and
 * its {@code reference.conf}.
 */
package io.zbmd.cluster;
