package io.zbmd.cluster;

/**
 * A collective operation did not complete. The collective that threw it is broken: later calls
 * fail at once, and the ring must be re-formed. Subtypes say why.
 */
public class CollectiveException extends RuntimeException {
  public CollectiveException(String message, Throwable cause) {
    super(message, cause);
  }

  public CollectiveException(String message) {
    super(message);
  }
}
