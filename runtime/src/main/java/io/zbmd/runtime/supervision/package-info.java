/**
 * OTP-style supervision trees on Pekko typed: a {@link io.zbmd.runtime.supervision.Supervisor}
 * starts the children of a {@link io.zbmd.runtime.supervision.SupervisorSpec} in order, restarts
 * them by {@link io.zbmd.runtime.supervision.Strategy} and {@link
 * io.zbmd.runtime.supervision.Restart} type, stops them in reverse order, and fails with a {@link
 * io.zbmd.runtime.supervision.RestartIntensityExceededException} when they fail too often, so that
 * supervisors nest.
 *
 * <pre>{@code
 * SupervisorSpec workers = SupervisorSpec.builder()
 *     .strategy(Strategy.ONE_FOR_ONE)
 *     .child(ChildSpec.permanent("loader", Loader::create))
 *     .build();
 * SupervisorSpec app = SupervisorSpec.builder()
 *     .strategy(Strategy.REST_FOR_ONE)
 *     .intensity(3, Duration.ofSeconds(5))
 *     .child(ChildSpec.permanent("device", Device::create))
 *     .child(ChildSpec.supervisor("workers", workers))
 *     .build();
 * ActorSystem<Supervisor.Command> system = Zbmd.create(Supervisor.create(app), "app");
 * }</pre>
 *
 * <p>The implementation lives in {@code io.zbmd.runtime.supervision.internal}; do not use it.
 */
package io.zbmd.runtime.supervision;
