package io.zbmd.checkpoint;

/**
 * Where a training run stands. {@code NEW} until started; a {@code FAILED} run can be resumed (back
 * to {@code RUNNING}) by starting it again with the same config; {@code COMPLETED} is final.
 *
 * <pre>{@code
 * if (state.status() == RunStatus.FAILED) journal.tell(new TrainingJournal.Start(config, replyTo));
 * }</pre>
 */
public enum RunStatus {
  /** Never started: the journal holds no event for this run. */
  NEW,
  /** Started (or resumed) and neither completed nor failed since. */
  RUNNING,
  /** Finished; final. */
  COMPLETED,
  /** Failed; starting it again with the same config resumes it. */
  FAILED
}
