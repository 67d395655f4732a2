package io.zbmd.runtime.supervision;

/**
 * What a {@link Supervisor} does to the siblings of a child it restarts, as in Erlang/OTP.
 *
 * <pre>{@code
 * SupervisorSpec spec = SupervisorSpec.builder().strategy(Strategy.REST_FOR_ONE).build();
 * }</pre>
 */
public enum Strategy {
  /** Only the child that ended is restarted; its siblings are left alone. */
  ONE_FOR_ONE,
  /**
   * All running siblings are stopped in reverse start order, then the child and those siblings
   * start again in spec order: for children that cannot work without each other.
   */
  ONE_FOR_ALL,
  /**
   * The running siblings started after the child are stopped in reverse order, then the child and
   * those siblings start again in spec order: for children that depend on those before them.
   */
  REST_FOR_ONE
}
