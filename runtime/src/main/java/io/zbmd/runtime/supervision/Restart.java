package io.zbmd.runtime.supervision;

/**
 * When a {@link Supervisor} restarts a child that ended, as OTP's restart types.
 *
 * <p>A child "fails" when it throws (Pekko signals {@code ChildFailed}) and "ends normally" when it
 * stops itself ({@code Behaviors.stopped()}).
 *
 * <pre>{@code
 * ChildSpec job = ChildSpec.create("job", Restart.TRANSIENT, Job::create);
 * }</pre>
 */
public enum Restart {
  /** Always restarted, also after it ended normally: a service that must be there. */
  PERMANENT,
  /** Restarted only after it failed; after a normal end its spec stays, not running. */
  TRANSIENT,
  /**
   * Never restarted. Its spec is removed when it ends, also when the supervisor stopped it because
   * a sibling failed under {@link Strategy#ONE_FOR_ALL} or {@link Strategy#REST_FOR_ONE}.
   */
  TEMPORARY
}
