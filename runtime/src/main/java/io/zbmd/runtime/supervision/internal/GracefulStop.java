package io.zbmd.runtime.supervision.internal;

import io.zbmd.runtime.supervision.Supervisor;
import org.apache.pekko.annotation.InternalApi;

/**
 * How a parent supervisor stops a child supervisor: a {@link Supervisor.Shutdown} without anyone to
 * answer, so that the child's children stop in reverse order too.
 */
@InternalApi
enum GracefulStop implements Supervisor.Command {
  INSTANCE
}
