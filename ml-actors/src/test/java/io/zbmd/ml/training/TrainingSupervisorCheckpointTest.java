package io.zbmd.ml.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.training.TrainingSupervisor.CheckpointRecorded;
import io.zbmd.ml.training.TrainingSupervisor.Event;
import io.zbmd.ml.training.TrainingSupervisor.ResumedFromCheckpoint;
import io.zbmd.ml.training.TrainingSupervisor.Result;
import io.zbmd.ml.training.TrainingSupervisor.StepTaken;
import io.zbmd.ml.training.TrainingSupervisor.TrainingCompleted;
import io.zbmd.ml.training.TrainingSupervisor.TrainingFailed;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints within an epoch, a run that resumes from its sink's checkpoint taking exactly the
 * steps the uninterrupted run took, saves that are written while training goes on, and a failed
 * save failing the run.
 */
class TrainingSupervisorCheckpointTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Keeps every checkpoint; completes saves at once unless told to hold them. */
  static final class RecordingSink implements CheckpointSink {
    final List<Checkpoint> all = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
    volatile boolean hold;
    volatile RuntimeException failWith;
    volatile Checkpoint latest;

    RecordingSink(Checkpoint start) {
      latest = start;
    }

    @Override
    public CompletionStage<Void> save(Checkpoint c, Map<String, Double> metrics) {
      all.add(c);
      if (failWith != null) {
        return CompletableFuture.failedFuture(failWith);
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      f.thenRun(() -> latest = c);
      if (hold) {
        held.add(f);
      } else {
        f.complete(null);
      }
      return f;
    }

    @Override
    public Optional<Checkpoint> latest() {
      return Optional.ofNullable(latest);
    }
  }

  private static void withKit(Consumer<ActorTestKit> test) {
    ActorTestKit kit =
        ActorTestKit.create(
            "checkpoints", Zbmd.config(ConfigFactory.parseString("zbmd.gpu.backends = [cpu]")));
    try {
      test.accept(kit);
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static final TrainingOptions OPTIONS = TrainingOptions.of(3, 32, 42).withCheckpointEvery(7);

  /** Trains 3 epochs of 20 steps into {@code sink}; returns the outcome and the events seen. */
  private static Result train(
      ActorTestKit kit, RecordingSink sink, TestProbe<Event> events, String name) {
    return train(kit, TrainingSupervisorTest.mlp(16), sink, events, name);
  }

  private static Result train(
      ActorTestKit kit,
      io.zbmd.ml.actor.ModelSpec spec,
      RecordingSink sink,
      TestProbe<Event> events,
      String name) {
    TestProbe<Result> results = kit.createTestProbe();
    kit.spawn(
        TrainingSupervisor.create(
            spec,
            TrainingSupervisorTest.blobs(1, 640),
            TrainingSupervisorTest.blobs(2, 100),
            OPTIONS,
            sink,
            results.getRef(),
            events.getRef()),
        name);
    return results.receiveMessage(WAIT);
  }

  @Test
  void checkpointsEveryNStepsAndAtEpochEnds() {
    withKit(
        kit -> {
          RecordingSink sink = new RecordingSink(null);
          TestProbe<Event> events = kit.createTestProbe();
          assertInstanceOf(TrainingCompleted.class, train(kit, sink, events, "run"));
          List<Long> steps = sink.all.stream().map(Checkpoint::step).toList();
          // every 7 steps, plus 20, 40, 60 at the ends of the epochs
          assertEquals(List.of(7L, 14L, 20L, 21L, 28L, 35L, 40L, 42L, 49L, 56L, 60L), steps);
          Checkpoint mid = sink.all.get(3);
          assertEquals(21, mid.step());
          assertEquals(1, mid.epoch());
          // After step 21 (batch 0 of epoch 1 was step 21), the next batch is batch 1 of epoch 1.
          assertEquals(new LoaderPosition(1, 1, 42, 32), mid.position());
          assertEquals(new LoaderPosition(1, 0, 42, 32), sink.all.get(2).position());
        });
  }

  @Test
  void aRunResumedFromAnyCheckpointEndsWithTheSameWeights() {
    withKit(
        kit -> {
          RecordingSink full = new RecordingSink(null);
          assertInstanceOf(
              TrainingCompleted.class, train(kit, full, kit.createTestProbe(), "uninterrupted"));
          Checkpoint last = full.all.get(full.all.size() - 1);
          // Resume from a mid-epoch checkpoint, an epoch end and the first one.
          for (int i : new int[] {0, 2, 3, 7}) {
            Checkpoint from = full.all.get(i);
            RecordingSink resumed = new RecordingSink(from);
            TestProbe<Event> events = kit.createTestProbe();
            Result r = train(kit, resumed, events, "resumed-" + i);
            TrainingCompleted done = assertInstanceOf(TrainingCompleted.class, r);
            assertEquals(60, done.summary().steps());
            ResumedFromCheckpoint first =
                assertInstanceOf(ResumedFromCheckpoint.class, events.receiveMessage(WAIT));
            assertEquals(from.step(), first.step());
            StepTaken next = assertInstanceOf(StepTaken.class, events.receiveMessage(WAIT));
            assertEquals(from.step() + 1, next.step());
            Checkpoint end = resumed.all.get(resumed.all.size() - 1);
            assertEquals(60, end.step());
            // Bit for bit: HostTensor equality compares the bytes.
            assertEquals(last.weights(), end.weights(), "resumed from step " + from.step());
            assertEquals(last.optimizer().step(), end.optimizer().step());
            for (var b : last.optimizer().buffers().entrySet()) {
              assertTrue(
                  java.util.Arrays.equals(b.getValue(), end.optimizer().buffers().get(b.getKey())),
                  b.getKey());
            }
          }
        });
  }

  /** The MLP with dropout between its layers: training draws a random mask every pass. */
  private static io.zbmd.ml.actor.ModelSpec mlpWithDropout() {
    return io.zbmd.ml.actor.ModelSpec.of(
        (ops, alloc) -> {
          java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
          return io.zbmd.ml.nn.Sequential.builder()
              .add("fc1", new io.zbmd.ml.nn.Linear(ops, alloc, 10, 16, rng))
              .add("relu", new io.zbmd.ml.nn.ReLU(alloc))
              .add("drop", new io.zbmd.ml.nn.Dropout(alloc, 0.3, 9))
              .add("fc2", new io.zbmd.ml.nn.Linear(ops, alloc, 16, 3, rng))
              .build();
        },
        io.zbmd.ml.nn.CrossEntropyLoss::new,
        (alloc, p) ->
            new io.zbmd.ml.optim.Adam(
                alloc, p, io.zbmd.ml.optim.Adam.Options.defaults().withLr(1e-2)));
  }

  @Test
  void aModelWithDropoutResumesItsMaskSequence() {
    withKit(
        kit -> {
          RecordingSink full = new RecordingSink(null);
          assertInstanceOf(
              TrainingCompleted.class,
              train(kit, mlpWithDropout(), full, kit.createTestProbe(), "dropout"));
          Checkpoint last = full.all.get(full.all.size() - 1);
          Checkpoint mid = full.all.get(3); // step 21, within epoch 1
          assertEquals(Map.of("drop.masks_drawn", 21L), mid.rngState());

          RecordingSink resumed = new RecordingSink(mid);
          train(kit, mlpWithDropout(), resumed, kit.createTestProbe(), "dropout-resumed");
          assertEquals(last.weights(), resumed.latest().orElseThrow().weights());
          assertEquals(Map.of("drop.masks_drawn", 60L), resumed.latest().orElseThrow().rngState());

          // Without the generator's position the masks repeat from the start: other weights.
          Checkpoint forgetful =
              new Checkpoint(mid.step(), mid.epoch(), mid.weights(), mid.optimizer(), mid.position());
          RecordingSink wrong = new RecordingSink(forgetful);
          train(kit, mlpWithDropout(), wrong, kit.createTestProbe(), "dropout-forgetful");
          assertTrue(
              !last.weights().equals(wrong.latest().orElseThrow().weights()),
              "restarting the masks must change the outcome, or this test shows nothing");
        });
  }

  @Test
  void trainingGoesOnWhileSavesAreWrittenAndWaitsOnlyWhenTwoArePending() {
    withKit(
        kit -> {
          RecordingSink sink = new RecordingSink(null);
          sink.hold = true;
          TestProbe<Result> results = kit.createTestProbe();
          TestProbe<Event> events = kit.createTestProbe();
          kit.spawn(
              TrainingSupervisor.create(
                  TrainingSupervisorTest.mlp(16),
                  TrainingSupervisorTest.blobs(1, 640),
                  TrainingSupervisorTest.blobs(2, 100),
                  OPTIONS,
                  sink,
                  results.getRef(),
                  events.getRef()),
              "held");
          // Steps go on past the first checkpoint (step 7) while its save is pending, up to the
          // third one (step 20, the end of the epoch), which waits for a save to finish.
          long lastStep = 0;
          while (lastStep < 20) {
            Event e = events.receiveMessage(WAIT);
            assertTrue(!(e instanceof CheckpointRecorded), e::toString);
            if (e instanceof StepTaken s) {
              lastStep = s.step();
            }
          }
          events.fishForMessage(
              WAIT,
              e ->
                  e instanceof TrainingSupervisor.EpochCompleted
                      ? FishingOutcomes.complete()
                      : FishingOutcomes.continueAndIgnore());
          events.expectNoMessage(Duration.ofMillis(300));
          assertEquals(2, sink.held.size());
          assertTrue(sink.latest().isEmpty());
          // Release the two, and let later saves complete at once: the run goes on to the end.
          sink.hold = false;
          sink.held.forEach(f -> f.complete(null));
          List<Long> recorded = new ArrayList<>();
          while (recorded.size() < 11) {
            if (events.receiveMessage(WAIT) instanceof CheckpointRecorded c) {
              recorded.add(c.step());
            }
          }
          TrainingCompleted done =
              assertInstanceOf(TrainingCompleted.class, results.receiveMessage(WAIT));
          assertEquals(60, done.summary().steps());
          assertEquals(60, sink.latest().orElseThrow().step());
          assertEquals(List.of(7L, 14L, 20L, 21L, 28L, 35L, 40L, 42L, 49L, 56L, 60L), recorded);
        });
  }

  @Test
  void aSaveThatFailsFailsTheRun() {
    withKit(
        kit -> {
          RecordingSink sink = new RecordingSink(null);
          sink.failWith = new IllegalStateException("disk full");
          Result r = train(kit, sink, kit.createTestProbe(), "failing");
          TrainingFailed f = assertInstanceOf(TrainingFailed.class, r);
          assertTrue(f.cause().getMessage().contains("step 7"), f.cause()::getMessage);
          assertTrue(f.cause().getMessage().contains("disk full"), f.cause()::getMessage);
        });
  }
}
