package io.zbmd.cluster;

import java.time.Duration;

/**
 * A collective did not complete within its step deadline: a peer is hung (stopped, swapping, stuck
 * in GC) or never joined the call. The connections were closed to unblock this rank.
 */
public final class CollectiveTimeoutException extends CollectiveException {
  private final transient Duration deadline;

  public CollectiveTimeoutException(String message, Duration deadline) {
    super(message);
    this.deadline = deadline;
  }

  /** The deadline that passed. */
  public Duration deadline() {
    return deadline;
  }
}
