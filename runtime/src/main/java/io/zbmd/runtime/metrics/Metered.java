package io.zbmd.runtime.metrics;

import io.zbmd.runtime.metrics.internal.MeteringInterceptor;
import java.util.Objects;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Wraps a behavior so that every message it handles is counted ({@value #MESSAGES_METRIC}) and
 * timed ({@value #PROCESSING_TIME_METRIC}, exported as {@code zbmd_actor_processing_time_seconds}),
 * both tagged {@code actor_kind} with the kind you name. The instruments are looked up when the
 * actor starts; per message the cost is two clock reads and two lock-free updates. With {@code
 * zbmd.metrics.enabled = off} the behavior is returned unwrapped.
 *
 * <pre>{@code
 * ActorRef<GemmWorker.Command> worker =
 *     ctx.spawn(Metered.behavior("gemm-worker", GemmWorker.create()), "gemm-1");
 * }</pre>
 */
public final class Metered {
  /** Counter of handled messages, tagged {@value #ACTOR_KIND_TAG}. */
  public static final String MESSAGES_METRIC = "zbmd_actor_messages_total";

  /** Histogram of message processing time in nanoseconds, tagged {@value #ACTOR_KIND_TAG}. */
  public static final String PROCESSING_TIME_METRIC = "zbmd_actor_processing_time";

  /** Tag naming the kind of actor. */
  public static final String ACTOR_KIND_TAG = "actor_kind";

  private Metered() {}

  /** {@code behavior}, counted and timed under {@code actor_kind = actorKind}. */
  public static <T> Behavior<T> behavior(String actorKind, Behavior<T> behavior) {
    Objects.requireNonNull(behavior, "behavior");
    Tags tags = Tags.of(ACTOR_KIND_TAG, actorKind);
    return Behaviors.setup(
        ctx -> {
          ZbmdMetrics metrics = ZbmdMetrics.get(ctx.getSystem());
          if (!metrics.isEnabled()) {
            return behavior;
          }
          Counter messages = metrics.counter(MESSAGES_METRIC, tags);
          Histogram time = metrics.histogram(PROCESSING_TIME_METRIC, MetricUnit.NANOSECONDS, tags);
          return Behaviors.intercept(
              () -> new MeteringInterceptor<>(actorKind, messages, time), behavior);
        });
  }
}
