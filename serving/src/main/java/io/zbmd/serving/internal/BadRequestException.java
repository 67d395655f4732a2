package io.zbmd.serving.internal;

/** A request the protocol or the model refuses; its message is the error the client sees. */
public final class BadRequestException extends RuntimeException {
  private final int status;

  public BadRequestException(String message) {
    this(400, message);
  }

  public BadRequestException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The HTTP status, a 4xx. */
  public int status() {
    return status;
  }
}
