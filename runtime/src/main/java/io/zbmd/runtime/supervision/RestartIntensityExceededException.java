package io.zbmd.runtime.supervision;

import java.time.Duration;

/**
 * Thrown by a {@link Supervisor} that had to restart children more often than its spec allows,
 * after it stopped all its children. Its parent sees it as the cause of a {@code ChildFailed}; a
 * parent {@link Supervisor} restarts it according to its own strategy.
 *
 * <pre>{@code
 * Behaviors.receive(Object.class)
 *     .onSignal(ChildFailed.class, failed -> {
 *       if (failed.getCause() instanceof RestartIntensityExceededException e) {
 *         ctx.getLog().error("{} gave up after {} restarts", e.supervisor(), e.maxRestarts());
 *       }
 *       return Behaviors.same();
 *     })
 *     .build();
 * }</pre>
 */
public final class RestartIntensityExceededException extends RuntimeException {
  private final String supervisor;
  private final int maxRestarts;
  private final Duration within;
  private final String childId;

  /**
   * @param supervisor the path of the supervisor that gave up
   * @param childId the child whose end would have been one restart too many
   * @param cause why that child failed; null when it ended normally
   */
  public RestartIntensityExceededException(
      String supervisor, int maxRestarts, Duration within, String childId, Throwable cause) {
    super(
        "Supervisor ["
            + supervisor
            + "] exceeded its restart intensity of "
            + maxRestarts
            + " restarts within "
            + within.toMillis()
            + " ms when child ["
            + childId
            + "] "
            + (cause == null ? "ended" : "failed: " + cause),
        cause);
    this.supervisor = supervisor;
    this.maxRestarts = maxRestarts;
    this.within = within;
    this.childId = childId;
  }

  /** The actor path of the supervisor that gave up. */
  public String supervisor() {
    return supervisor;
  }

  public int maxRestarts() {
    return maxRestarts;
  }

  public Duration within() {
    return within;
  }

  /** The id of the child whose end exceeded the intensity. */
  public String childId() {
    return childId;
  }
}
