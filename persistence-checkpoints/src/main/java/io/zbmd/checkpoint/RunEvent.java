package io.zbmd.checkpoint;

import io.zbmd.checkpoint.internal.SortedMaps;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The events of a training run's journal, in the past tense. {@link TrainingJournal} persists them;
 * {@link RunState#applied} folds them into a {@link RunState}, for the behavior and for {@link
 * RunsQuery} alike. They are written as Jackson CBOR ({@link JournalSerializable}); NaN metrics
 * round-trip. Renaming or moving these records breaks existing journals: add new events instead.
 *
 * <pre>{@code
 * readJournal.currentEventsByPersistenceId(TrainingJournal.persistenceId("r1"), 0, Long.MAX_VALUE)
 *     .map(env -> (RunEvent) env.event());
 * }</pre>
 */
public sealed interface RunEvent extends JournalSerializable {
  /** When the event happened. */
  Instant at();

  /** A run was started for the first time, with the config it keeps for good. */
  record RunStarted(String runId, Map<String, String> config, Instant at) implements RunEvent {
    public RunStarted {
      Objects.requireNonNull(runId, "runId");
      config = SortedMaps.copy(config, "config");
    }
  }

  /** A started (or failed) run was started again with the same config. */
  record RunResumed(Instant at) implements RunEvent {}

  /** A checkpoint was written to {@code uri}; the tensors stay there, never in the journal. */
  record CheckpointRecorded(
      long step,
      int epoch,
      String uri,
      String sha256,
      long bytes,
      Map<String, Double> metrics,
      Instant at)
      implements RunEvent {
    public CheckpointRecorded {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(sha256, "sha256");
      metrics = SortedMaps.copy(metrics, "metrics");
    }
  }

  /** The checkpoint at {@code uri} was deleted (e.g. by retention) and is no longer usable. */
  record CheckpointDeleted(String uri, Instant at) implements RunEvent {}

  /** Out of device memory at {@code step}: the batch was split into more micro-batches. */
  record BatchSizeReduced(long step, int batchSize, int microBatches, String cause, Instant at)
      implements RunEvent {}

  /** The model moved from device {@code from} to device {@code to} at {@code step}. */
  record DeviceMigrated(long step, String from, String to, String cause, Instant at)
      implements RunEvent {}

  /** Epoch {@code epoch} (1 for the first) ended at {@code step}; test figures NaN if skipped. */
  record EpochCompleted(
      int epoch, long step, double trainLoss, double testLoss, double testAccuracy, Instant at)
      implements RunEvent {}

  /** The run finished at {@code step}. */
  record RunCompleted(long step, Map<String, Double> summary, Instant at) implements RunEvent {
    public RunCompleted {
      summary = SortedMaps.copy(summary, "summary");
    }
  }

  /** The run failed; starting it again with the same config resumes it. */
  record RunFailed(String reason, Instant at) implements RunEvent {}
}
