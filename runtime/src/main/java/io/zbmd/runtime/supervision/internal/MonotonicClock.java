package io.zbmd.runtime.supervision.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.apache.pekko.annotation.InternalApi;

/**
 * A clock on {@link System#nanoTime}: its instants are only good for measuring intervals, which is
 * all the restart intensity needs, and unlike the wall clock it never jumps.
 */
@InternalApi
public final class MonotonicClock extends Clock {
  public static final MonotonicClock INSTANCE = new MonotonicClock(ZoneOffset.UTC);

  private final ZoneId zone;

  private MonotonicClock(ZoneId zone) {
    this.zone = zone;
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new MonotonicClock(zone);
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(0, System.nanoTime());
  }
}
