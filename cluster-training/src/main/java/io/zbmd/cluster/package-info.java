/**
 * Data-parallel training across a Pekko Cluster: coordinator singleton, workers, ring all-reduce.
 *
 * <p>The data plane: {@link io.zbmd.cluster.Collective}, implemented by {@link
 * io.zbmd.cluster.RingCollective}. The control plane: {@link io.zbmd.cluster.ClusterBootstrap}
 * (Pekko Cluster with the Split Brain Resolver) and {@link io.zbmd.cluster.ControlMessage}s.
 */
package io.zbmd.cluster;
