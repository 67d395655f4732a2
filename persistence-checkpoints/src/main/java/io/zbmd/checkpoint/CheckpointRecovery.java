package io.zbmd.checkpoint;

import io.zbmd.ml.training.Checkpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the checkpoint a run resumes from: the newest one the journal recorded whose file is
 * present and intact. A missing, truncated or altered file is skipped with a warning naming it,
 * and recovery falls back to the one before.
 *
 * <pre>{@code
 * CheckpointRecovery.Recovered r = CheckpointRecovery.latestValid(store, state.checkpoints());
 * r.checkpoint().ifPresent(c -> System.out.println("resuming at step " + c.step()));
 * r.skipped().forEach(e -> System.err.println("skipped: " + e.getMessage()));
 * }</pre>
 */
public final class CheckpointRecovery {
  private static final Logger log = LoggerFactory.getLogger(CheckpointRecovery.class);

  private CheckpointRecovery() {}

  /**
   * @param checkpoint the newest valid checkpoint, if any
   * @param entry its journal entry, if any
   * @param skipped why each newer checkpoint was skipped, newest first
   */
  public record Recovered(
      Optional<Checkpoint> checkpoint,
      Optional<CheckpointEntry> entry,
      List<CorruptCheckpointException> skipped) {}

  /** The newest of {@code recorded} (oldest first, as the journal lists them) that reads back. */
  public static Recovered latestValid(CheckpointStore store, List<CheckpointEntry> recorded) {
    Objects.requireNonNull(store, "store");
    List<CorruptCheckpointException> skipped = new ArrayList<>();
    for (int i = recorded.size() - 1; i >= 0; i--) {
      CheckpointEntry e = recorded.get(i);
      try {
        Checkpoint c =
            store.read(new StoredCheckpoint(e.step(), e.epoch(), e.uri(), e.sha256(), e.bytes()));
        return new Recovered(Optional.of(c), Optional.of(e), List.copyOf(skipped));
      } catch (CorruptCheckpointException ex) {
        log.warn("{}; falling back to the checkpoint before it", ex.getMessage());
        skipped.add(ex);
      }
    }
    return new Recovered(Optional.empty(), Optional.empty(), List.copyOf(skipped));
  }
}
