package io.zbmd.cluster;

import java.net.SocketAddress;

/**
 * The connection to a ring neighbour broke during a collective (the peer process died, its host
 * went away, or it closed its collective). Names the peer's rank and address.
 */
public final class PeerLostException extends CollectiveException {
  private final int peerRank;
  private final transient SocketAddress peerAddress;

  public PeerLostException(String message, int peerRank, SocketAddress peerAddress,
      Throwable cause) {
    super(message, cause);
    this.peerRank = peerRank;
    this.peerAddress = peerAddress;
  }

  /** The rank of the neighbour whose connection broke. */
  public int peerRank() {
    return peerRank;
  }

  /** That neighbour's address, as connected. */
  public SocketAddress peerAddress() {
    return peerAddress;
  }
}
