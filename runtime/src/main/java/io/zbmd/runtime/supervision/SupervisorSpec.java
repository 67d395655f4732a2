package io.zbmd.runtime.supervision;

import io.zbmd.runtime.supervision.internal.MonotonicClock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a {@link Supervisor} supervises and how: its strategy, its restart intensity and its initial
 * children, in start order.
 *
 * <p>If more than {@code maxRestarts} restarts happen within {@code within}, the supervisor stops
 * all its children in reverse start order and fails with a {@link
 * RestartIntensityExceededException}, so that its parent decides what happens next. The default is
 * {@link Strategy#ONE_FOR_ONE} and 3 restarts in 5 seconds (Elixir's default; OTP's is 1 in 5).
 * {@code clock} measures the intensity window; tests can pass their own.
 *
 * <pre>{@code
 * SupervisorSpec spec = SupervisorSpec.builder()
 *     .strategy(Strategy.ONE_FOR_ALL)
 *     .intensity(3, Duration.ofSeconds(5))
 *     .child(ChildSpec.permanent("db", Db::create))
 *     .child(ChildSpec.permanent("api", Api::create))
 *     .build();
 * ActorRef<Supervisor.Command> sup = ctx.spawn(Supervisor.create(spec), "app");
 * }</pre>
 *
 * @param strategy what happens to the siblings of a restarted child
 * @param maxRestarts restarts allowed within {@code within}; 0 means the first restart fails
 * @param within the sliding window of the restart intensity
 * @param children the initial children, started in this order
 * @param clock the time source of the restart intensity
 */
public record SupervisorSpec(
    Strategy strategy, int maxRestarts, Duration within, List<ChildSpec> children, Clock clock) {

  public SupervisorSpec {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(within, "within");
    Objects.requireNonNull(clock, "clock");
    if (maxRestarts < 0) {
      throw new IllegalArgumentException("maxRestarts must be >= 0, was " + maxRestarts);
    }
    if (within.isNegative() || within.isZero()) {
      throw new IllegalArgumentException("within must be positive, was " + within);
    }
    children = List.copyOf(children);
    Set<String> ids = new HashSet<>();
    for (ChildSpec child : children) {
      if (!ids.add(child.id())) {
        throw new IllegalArgumentException("Two children have the id [" + child.id() + "]");
      }
    }
  }

  /** A builder with the defaults: one_for_one, 3 restarts in 5 seconds, no children. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link SupervisorSpec}; see there for the meaning of each setting. */
  public static final class Builder {
    private Strategy strategy = Strategy.ONE_FOR_ONE;
    private int maxRestarts = 3;
    private Duration within = Duration.ofSeconds(5);
    private final List<ChildSpec> children = new ArrayList<>();
    private Clock clock = MonotonicClock.INSTANCE;

    private Builder() {}

    public Builder strategy(Strategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /** At most {@code maxRestarts} restarts within {@code within}. */
    public Builder intensity(int maxRestarts, Duration within) {
      this.maxRestarts = maxRestarts;
      this.within = within;
      return this;
    }

    /** Appends a child; children start in the order they are added. */
    public Builder child(ChildSpec child) {
      children.add(Objects.requireNonNull(child, "child"));
      return this;
    }

    /** The time source of the restart intensity; the default is monotonic (System.nanoTime). */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public SupervisorSpec build() {
      return new SupervisorSpec(strategy, maxRestarts, within, children, clock);
    }
  }
}
