package io.zbmd.checkpoint;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the journal records about a checkpoint a {@link CheckpointStore} wrote: its step and epoch,
 * where it is, and the sha256 and size that {@link CheckpointStore#read} verifies it against.
 *
 * <pre>{@code
 * StoredCheckpoint saved = store.write("mnist-1", checkpoint);
 * saved.uri();     // "file:///var/lib/zbmd/checkpoints/mnist-1/step-000000000120.safetensors"
 * saved.sha256();  // 64 lowercase hex digits
 * }</pre>
 *
 * @param step optimizer steps taken, at least 0
 * @param epoch epochs completed, at least 0
 * @param uri absolute URI of the file ({@code file:} for {@link FileCheckpointStore})
 * @param sha256 sha256 of the file's bytes, 64 lowercase hex digits
 * @param bytes size of the file in bytes
 */
public record StoredCheckpoint(long step, int epoch, String uri, String sha256, long bytes) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public StoredCheckpoint {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(sha256, "sha256");
    if (step < 0 || epoch < 0) {
      throw new IllegalArgumentException(
          "stored checkpoint " + uri + " at step " + step + ", epoch " + epoch);
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("stored checkpoint " + uri + " of " + bytes + " bytes");
    }
    if (!SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException(
          "stored checkpoint "
              + uri
              + ": sha256 must be 64 lowercase hex digits, got \""
              + sha256
              + "\"");
    }
    try {
      if (!new URI(uri).isAbsolute()) {
        throw new IllegalArgumentException(
            "stored checkpoint uri \"" + uri + "\" has no scheme (expected e.g. file:)");
      }
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "stored checkpoint uri \"" + uri + "\" is not a URI: " + e.getMessage(), e);
    }
  }
}
