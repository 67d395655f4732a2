package io.zbmd.runtime.supervision.internal;

import io.zbmd.runtime.supervision.Supervisor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.annotation.InternalApi;

/**
 * Wraps a worker so that it sends {@link ChildReady} to its supervisor once its setup has run:
 * spawning is asynchronous, and without this the setups of children "started in order" would run in
 * any order. Messages and signals pass through untouched.
 */
@InternalApi
final class StartAnnouncer<T> extends BehaviorInterceptor<T, T> {
  private final ActorRef<Supervisor.Command> supervisor;

  @SuppressWarnings("unchecked")
  private StartAnnouncer(ActorRef<Supervisor.Command> supervisor) {
    // Object.class: every message goes to the worker, whatever its type.
    super((Class<T>) (Class<?>) Object.class);
    this.supervisor = supervisor;
  }

  static <T> Behavior<T> wrap(Behavior<T> worker, ActorRef<Supervisor.Command> supervisor) {
    return Behaviors.intercept(() -> new StartAnnouncer<>(supervisor), worker);
  }

  @Override
  public Behavior<T> aroundStart(TypedActorContext<T> ctx, PreStartTarget<T> target) {
    Behavior<T> started = target.start(ctx);
    supervisor.tell(new ChildReady(ctx.asJava().getSelf()));
    return started;
  }

  @Override
  public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
    return target.apply(ctx, msg);
  }
}
