package io.zbmd.runtime.supervision.internal;

import io.zbmd.runtime.supervision.ChildSpec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/** What a supervisor knows about one child: its spec and, while it runs, its ref. */
@InternalApi
final class ChildSlot {
  final ChildSpec spec;

  /** Null while the child is not running. */
  ActorRef<?> ref;

  /** Counts starts, to name an incarnation whose predecessor still holds the name. */
  int incarnation;

  ChildSlot(ChildSpec spec) {
    this.spec = spec;
  }

  String id() {
    return spec.id();
  }

  boolean running() {
    return ref != null;
  }

  /** The actor name for ids that are not valid actor names as they are ("a b", "x/y"). */
  String actorName() {
    return URLEncoder.encode(spec.id(), StandardCharsets.UTF_8);
  }

  /**
   * The name of this incarnation when a predecessor that outlived its shutdown timeout still holds
   * {@link #actorName()}; '$' never occurs in an encoded id, so no other child has it.
   */
  String incarnationName() {
    return actorName() + "$" + incarnation;
  }
}
