package io.zbmd.runtime.metrics.internal;

import io.zbmd.runtime.metrics.Counter;
import io.zbmd.runtime.metrics.Histogram;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.annotation.InternalApi;

/**
 * Counts the messages an actor handles and records how long each took, in nanoseconds. The
 * instruments are looked up once, when the actor starts; per message this costs two {@code
 * System.nanoTime()} calls, one histogram record and one counter increment.
 */
@InternalApi
public final class MeteringInterceptor<T> extends BehaviorInterceptor<T, T> {
  private final String actorKind;
  private final Counter messages;
  private final Histogram processingTime;

  @SuppressWarnings("unchecked")
  public MeteringInterceptor(String actorKind, Counter messages, Histogram processingTime) {
    // Object: every message is counted, whatever the actor's protocol.
    super((Class<T>) (Class<?>) Object.class);
    this.actorKind = actorKind;
    this.messages = messages;
    this.processingTime = processingTime;
  }

  @Override
  public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
    long start = System.nanoTime();
    try {
      return target.apply(ctx, msg);
    } finally {
      // Failed messages are counted and timed too: they used the actor's time.
      processingTime.record(System.nanoTime() - start);
      messages.increment();
    }
  }

  /**
   * Same kind, same interceptor: a behavior that wraps its next behavior in {@code Metered} again
   * must not stack a second interceptor that counts every message twice.
   */
  @Override
  public boolean isSame(BehaviorInterceptor<Object, Object> other) {
    return other instanceof MeteringInterceptor<?> m && m.actorKind.equals(actorKind);
  }
}
