package io.zbmd.runtime.supervision.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.pekko.annotation.InternalApi;

/** The restarts of the last {@code within}, as OTP counts them: a sliding window. */
@InternalApi
final class RestartIntensity {
  private final int maxRestarts;
  private final Duration within;
  private final Clock clock;
  private final Deque<Instant> restarts = new ArrayDeque<>();

  RestartIntensity(int maxRestarts, Duration within, Clock clock) {
    this.maxRestarts = maxRestarts;
    this.within = within;
    this.clock = clock;
  }

  /** Counts one restart; false when it is one more than the window allows. */
  boolean tryRestart() {
    Instant now = clock.instant();
    restarts.addLast(now);
    Instant oldestCounted = now.minus(within);
    while (restarts.getFirst().isBefore(oldestCounted)) {
      restarts.removeFirst();
    }
    return restarts.size() <= maxRestarts;
  }
}
