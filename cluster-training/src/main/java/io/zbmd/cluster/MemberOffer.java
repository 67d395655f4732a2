package io.zbmd.cluster;

import java.util.List;

/**
 * What a node offers to the run: its cluster address, where its data plane listens, and its
 * devices (as {@code DeviceId} strings: {@code backend:index}, named on this node). Sent to the
 * coordinator when a node joins; the coordinator assigns ranks in the order it forms the ring.
 *
 * @param node the member's address, e.g. {@code pekko://zbmd@10.0.0.5:25520}
 * @param dataPlaneHost host the ring's TCP connections reach this node at
 * @param dataPlanePort port of its ring endpoint
 * @param devices the devices it trains on, e.g. {@code [cuda:0, cuda:1]}
 */
public record MemberOffer(String node, String dataPlaneHost, int dataPlanePort,
    List<String> devices) implements ControlMessage {
  public MemberOffer {
    devices = List.copyOf(devices);
    if (dataPlanePort < 0 || dataPlanePort > 65535) {
      throw new IllegalArgumentException("data-plane port of " + node + " must be 0-65535, got "
          + dataPlanePort);
    }
  }
}
