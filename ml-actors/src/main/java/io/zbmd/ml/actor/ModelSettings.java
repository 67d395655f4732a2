package io.zbmd.ml.actor;

import com.typesafe.config.Config;

/**
 * {@code zbmd.ml.model}: how model actors lay out what they own, read once per actor from the
 * system's config (see ml-actors' {@code reference.conf}).
 *
 * @param gradientBucketCapBytes the size at which a gradient bucket is closed (PyTorch DDP's
 *     {@code bucket_cap_mb})
 */
public record ModelSettings(long gradientBucketCapBytes) {
  public ModelSettings {
    if (gradientBucketCapBytes <= 0) {
      throw new IllegalArgumentException(
          "zbmd.ml.model.gradient-bucket-cap must be > 0, got " + gradientBucketCapBytes);
    }
  }

  public static ModelSettings from(Config config) {
    return new ModelSettings(config.getBytes("zbmd.ml.model.gradient-bucket-cap"));
  }
}
