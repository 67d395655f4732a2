package io.zbmd.checkpoint;

import io.zbmd.checkpoint.internal.SortedMaps;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A checkpoint the journal knows of: where the tensors were written and how to check them. The
 * tensors themselves never enter the journal; {@code uri} points at them (e.g. a file of the
 * checkpoint store).
 *
 * <pre>{@code
 * state.latestCheckpoint().ifPresent(c -> store.load(URI.create(c.uri()), c.sha256()));
 * }</pre>
 *
 * @param step the training step the checkpoint was taken after
 * @param epoch epochs completed at that step
 * @param uri where the checkpoint is stored
 * @param sha256 hex SHA-256 of the stored bytes
 * @param bytes size of the stored checkpoint
 * @param metrics metrics at that point (e.g. loss), NaN allowed, sorted by name
 * @param recordedAt when the journal recorded it
 */
public record CheckpointEntry(
    long step,
    int epoch,
    String uri,
    String sha256,
    long bytes,
    Map<String, Double> metrics,
    Instant recordedAt) {
  public CheckpointEntry {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(sha256, "sha256");
    metrics = SortedMaps.copy(metrics, "metrics of checkpoint " + uri);
  }
}
