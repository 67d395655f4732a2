package io.zbmd.runtime.supervision.internal;

import io.zbmd.runtime.supervision.Supervisor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/**
 * Tells a supervisor that its child {@code child} has started: its setup has run, or, for a child
 * supervisor, its own children have started. The supervisor starts the next child only then.
 */
@InternalApi
record ChildReady(ActorRef<?> child) implements Supervisor.Command {}
