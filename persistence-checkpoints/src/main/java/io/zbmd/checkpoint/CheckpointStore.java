package io.zbmd.checkpoint;

import io.zbmd.ml.training.Checkpoint;
import java.io.IOException;

/**
 * Where checkpoints' tensors live: the journal records only a {@link StoredCheckpoint} (location,
 * size, sha256) and a store holds the bytes. Implementations must never leave a half-written file
 * under a checkpoint's final name, and must detect any file that differs from what was recorded.
 * {@link FileCheckpointStore} is the local-disk implementation.
 *
 * <pre>{@code
 * CheckpointStore store = new FileCheckpointStore(Path.of("/var/lib/zbmd/checkpoints"));
 * store.removeTemporaries("mnist-1");                  // once, at startup
 * // Blocking: call it off the device dispatcher.
 * StoredCheckpoint saved = store.write("mnist-1", checkpoint);
 * Checkpoint again = store.read(saved);                // verified against size and sha256
 * }</pre>
 */
public interface CheckpointStore {

  /**
   * Writes {@code checkpoint} for run {@code runId} atomically and durably: once this returns, the
   * file survives a crash or power loss; if it throws or the process dies, any earlier checkpoint
   * is intact. Blocking (call it off the device dispatcher).
   *
   * @throws IllegalArgumentException if {@code runId} is not a valid run id
   * @throws IOException if the file cannot be written
   */
  StoredCheckpoint write(String runId, Checkpoint checkpoint) throws IOException;

  /**
   * Reads the checkpoint {@code stored} describes and verifies it against the recorded size and
   * sha256.
   *
   * @throws CorruptCheckpointException if the file is missing, truncated, altered or unparsable
   */
  Checkpoint read(StoredCheckpoint stored) throws CorruptCheckpointException;

  /** Deletes the checkpoint's file; idempotent (a missing file is fine). */
  void delete(StoredCheckpoint stored) throws IOException;

  /**
   * Removes the temporary files a crash left in the run's directory. Call it before the run writes
   * again (at startup), not concurrently with {@link #write}.
   *
   * @return how many files were removed
   */
  int removeTemporaries(String runId) throws IOException;
}
