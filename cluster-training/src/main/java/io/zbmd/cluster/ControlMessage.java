package io.zbmd.cluster;

/**
 * Marker for messages that cross nodes on the control plane: this module's {@code reference.conf}
 * binds it to Pekko's Jackson CBOR serializer. Implement it on records with plain fields (strings,
 * numbers, lists, other records). Tensors never travel this way: gradients go over the data plane
 * ({@link Collective}).
 *
 * <pre>{@code
 * public record RingFormed(long generation, List<String> members) implements ControlMessage {}
 * }</pre>
 */
public interface ControlMessage {}
