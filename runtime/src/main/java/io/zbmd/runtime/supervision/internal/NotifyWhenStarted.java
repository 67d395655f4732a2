package io.zbmd.runtime.supervision.internal;

import io.zbmd.runtime.supervision.Supervisor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/**
 * Sent by a parent supervisor to a child supervisor it just spawned: answer {@link ChildReady} once
 * your own children have started. Kept like any command while the child is busy.
 */
@InternalApi
record NotifyWhenStarted(ActorRef<Supervisor.Command> replyTo) implements Supervisor.Command {}
