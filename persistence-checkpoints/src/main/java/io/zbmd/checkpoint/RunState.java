package io.zbmd.checkpoint;

import io.zbmd.checkpoint.RunEvent.BatchSizeReduced;
import io.zbmd.checkpoint.RunEvent.CheckpointDeleted;
import io.zbmd.checkpoint.RunEvent.CheckpointRecorded;
import io.zbmd.checkpoint.RunEvent.DeviceMigrated;
import io.zbmd.checkpoint.RunEvent.EpochCompleted;
import io.zbmd.checkpoint.RunEvent.RunCompleted;
import io.zbmd.checkpoint.RunEvent.RunFailed;
import io.zbmd.checkpoint.RunEvent.RunResumed;
import io.zbmd.checkpoint.RunEvent.RunStarted;
import io.zbmd.checkpoint.internal.SortedMaps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the journal knows of one training run: the state {@link TrainingJournal} answers with and
 * {@link RunsQuery} lists. It is the fold of the run's {@link RunEvent}s ({@link #applied}), the
 * same fold for both.
 *
 * <pre>{@code
 * RunState s = AskPattern.ask(journal, TrainingJournal.GetRun::new, timeout, scheduler)...;
 * s.latestCheckpoint().map(CheckpointEntry::uri);
 * }</pre>
 *
 * @param runId the run's id
 * @param status where the run stands
 * @param config the config it was started with (sorted by key)
 * @param checkpoints checkpoints recorded and not deleted, oldest first
 * @param epochsCompleted the highest epoch recorded as completed (1 for the first)
 * @param lastStep the highest step any event mentioned
 * @param batchSizeReductions how often the batch was reduced for lack of device memory
 * @param deviceMigrations how often the model moved to another device
 * @param failure why the run failed while {@link RunStatus#FAILED}, else null
 * @param startedAt when the run was first started, null while {@link RunStatus#NEW}
 * @param updatedAt when the last event happened, null while {@link RunStatus#NEW}
 */
public record RunState(
    String runId,
    RunStatus status,
    Map<String, String> config,
    List<CheckpointEntry> checkpoints,
    int epochsCompleted,
    long lastStep,
    int batchSizeReductions,
    int deviceMigrations,
    String failure,
    Instant startedAt,
    Instant updatedAt)
    implements JournalSerializable {

  public RunState {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(status, "status");
    config = SortedMaps.copy(config, "config");
    checkpoints = checkpoints == null ? List.of() : List.copyOf(checkpoints);
  }

  /** The state of a run that was never started. */
  public static RunState empty(String runId) {
    return new RunState(runId, RunStatus.NEW, Map.of(), List.of(), 0, 0, 0, 0, null, null, null);
  }

  /** The newest checkpoint that was recorded and not deleted. */
  public Optional<CheckpointEntry> latestCheckpoint() {
    return checkpoints.isEmpty()
        ? Optional.empty()
        : Optional.of(checkpoints.get(checkpoints.size() - 1));
  }

  /**
   * This state after {@code event}: the one fold of the journal, used by {@link TrainingJournal} on
   * recovery and after each persist, and by {@link RunsQuery}.
   */
  public RunState applied(RunEvent event) {
    Instant at = event.at();
    if (event instanceof RunStarted e) {
      return new RunState(
          runId, RunStatus.RUNNING, e.config(), List.of(), 0, 0, 0, 0, null, at, at);
    } else if (event instanceof RunResumed) {
      return with(RunStatus.RUNNING, checkpoints, epochsCompleted, lastStep, null, at);
    } else if (event instanceof CheckpointRecorded e) {
      List<CheckpointEntry> more = new ArrayList<>(checkpoints);
      // The same file written again (a step trained again after a recovery) replaces its entry.
      more.removeIf(c -> c.uri().equals(e.uri()));
      more.add(
          new CheckpointEntry(
              e.step(), e.epoch(), e.uri(), e.sha256(), e.bytes(), e.metrics(), at));
      return with(
          status,
          more,
          Math.max(epochsCompleted, e.epoch()),
          Math.max(lastStep, e.step()),
          failure,
          at);
    } else if (event instanceof CheckpointDeleted e) {
      List<CheckpointEntry> fewer = new ArrayList<>(checkpoints);
      fewer.removeIf(c -> c.uri().equals(e.uri()));
      return with(status, fewer, epochsCompleted, lastStep, failure, at);
    } else if (event instanceof BatchSizeReduced e) {
      return recovered(e.step(), 1, 0, at);
    } else if (event instanceof DeviceMigrated e) {
      return recovered(e.step(), 0, 1, at);
    } else if (event instanceof EpochCompleted e) {
      return with(
          status,
          checkpoints,
          Math.max(epochsCompleted, e.epoch()),
          Math.max(lastStep, e.step()),
          failure,
          at);
    } else if (event instanceof RunCompleted e) {
      return with(
          RunStatus.COMPLETED,
          checkpoints,
          epochsCompleted,
          Math.max(lastStep, e.step()),
          null,
          at);
    } else if (event instanceof RunFailed e) {
      return with(RunStatus.FAILED, checkpoints, epochsCompleted, lastStep, e.reason(), at);
    }
    throw new IllegalArgumentException("unknown run event " + event.getClass().getName());
  }

  /** After a survived failure at {@code step}: the counts of each kind grow. */
  private RunState recovered(long step, int reductions, int migrations, Instant at) {
    return new RunState(
        runId,
        status,
        config,
        checkpoints,
        epochsCompleted,
        Math.max(lastStep, step),
        batchSizeReductions + reductions,
        deviceMigrations + migrations,
        failure,
        startedAt,
        at);
  }

  private RunState with(
      RunStatus status,
      List<CheckpointEntry> checkpoints,
      int epochsCompleted,
      long lastStep,
      String failure,
      Instant updatedAt) {
    return new RunState(
        runId,
        status,
        config,
        checkpoints,
        epochsCompleted,
        lastStep,
        batchSizeReductions,
        deviceMigrations,
        failure,
        startedAt,
        updatedAt);
  }
}
