package io.zbmd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fold of a run's events, as the journal and `zbmd runs` both apply it. */
class RunStateTest {
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "b".repeat(64);

  @Test
  void aCheckpointFileRecordedAgainReplacesItsEntry() {
    Instant t = Instant.parse("2026-11-25T21:00:00Z");
    RunState s =
        RunState.empty("r")
            .applied(new RunEvent.RunStarted("r", Map.of("batch", "64"), t))
            .applied(new RunEvent.CheckpointRecorded(10, 0, "file:/c/step-10", SHA_A, 100, Map.of(), t))
            .applied(new RunEvent.CheckpointRecorded(20, 0, "file:/c/step-20", SHA_A, 100, Map.of(), t))
            // step 20 trained again after a recovery, on hardware that rounds differently
            .applied(new RunEvent.CheckpointRecorded(20, 0, "file:/c/step-20", SHA_B, 100, Map.of(), t));
    assertEquals(List.of(10L, 20L), s.checkpoints().stream().map(CheckpointEntry::step).toList());
    assertEquals(SHA_B, s.latestCheckpoint().orElseThrow().sha256());
    assertEquals(RunStatus.RUNNING, s.status());
  }
}
