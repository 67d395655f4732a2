package io.zbmd.cluster;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The data plane's settings, read once from {@code zbmd.cluster.data-plane} (documented in this
 * module's {@code reference.conf}).
 *
 * <pre>{@code
 * DataPlaneSettings s = DataPlaneSettings.fromConfig(system.settings().config());
 * }</pre>
 *
 * @param segmentBytes bytes per wire segment (a multiple of 4)
 * @param segmentsInFlight segments a sender may have unacknowledged on a link
 * @param stepDeadline how long one collective call may take before it is aborted
 * @param connectTimeout how long forming the ring may take (peers may still be starting)
 */
public record DataPlaneSettings(int segmentBytes, int segmentsInFlight, Duration stepDeadline,
    Duration connectTimeout) {
  public DataPlaneSettings {
    if (segmentBytes < 4 || segmentBytes % 4 != 0) {
      throw new IllegalArgumentException(
          "zbmd.cluster.data-plane.segment-bytes must be a positive multiple of 4, got "
              + segmentBytes);
    }
    if (segmentsInFlight < 1) {
      throw new IllegalArgumentException(
          "zbmd.cluster.data-plane.segments-in-flight must be >= 1, got " + segmentsInFlight);
    }
    if (stepDeadline.isNegative() || stepDeadline.isZero()) {
      throw new IllegalArgumentException(
          "zbmd.cluster.data-plane.step-deadline must be positive, got " + stepDeadline);
    }
  }

  /** Reads {@code zbmd.cluster.data-plane} from a config that has this module's reference. */
  public static DataPlaneSettings fromConfig(Config config) {
    Config c = config.getConfig("zbmd.cluster.data-plane");
    long bytes = c.getBytes("segment-bytes");
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "zbmd.cluster.data-plane.segment-bytes must be below 2 GiB, got " + bytes);
    }
    return new DataPlaneSettings((int) bytes, c.getInt("segments-in-flight"),
        c.getDuration("step-deadline"), c.getDuration("connect-timeout"));
  }

  /** The same settings with another step deadline. */
  public DataPlaneSettings withStepDeadline(Duration deadline) {
    return new DataPlaneSettings(segmentBytes, segmentsInFlight, deadline, connectTimeout);
  }
}
