package io.zbmd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.optim.OptimizerState;
import io.zbmd.ml.training.Checkpoint;
import io.zbmd.runtime.Zbmd;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journaled run on the embedded H2 journal and the file store: checkpoints are acknowledged,
 * survive a restart of the actor system, are pruned to keep-last, and on reopening the newest
 * intact one is resumed from; a corrupt, truncated or missing newest file is skipped with a
 * message naming it, and recovery falls back to the one before.
 */
class CheckpointedRunTest {
  private static final Map<String, String> CONFIG = Map.of("model", "mlp", "batch", "64");

  @TempDir Path dataDir;

  private void withSystem(Consumer<ActorTestKit> test) {
    ActorTestKit kit =
        ActorTestKit.create(
            "run",
            Zbmd.config(
                ConfigFactory.parseMap(
                        Map.of("zbmd.data-dir", dataDir.toString(), "zbmd.checkpoint.keep-last", 2))
                    .withFallback(ConfigFactory.parseString("zbmd.gpu.backends = [cpu]"))));
    try {
      test.accept(kit);
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static CheckpointedRun open(ActorTestKit kit, String id, Map<String, String> config) {
    try {
      return CheckpointedRun.open(kit.system(), id, config).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Checkpoint checkpoint(long step) {
    Map<String, HostTensor> weights = new LinkedHashMap<>();
    float[] w = new float[12];
    for (int i = 0; i < w.length; i++) {
      w[i] = step + i / 7f;
    }
    weights.put("fc1.weight", HostTensor.ofFloats(new int[] {3, 4}, w));
    weights.put("fc1.bias", HostTensor.ofFloats(new int[] {3}, new float[] {step, -step, 0.5f}));
    Map<String, float[]> buffers = new LinkedHashMap<>();
    buffers.put("fc1.weight.exp_avg", w.clone());
    buffers.put("fc1.bias.exp_avg", new float[] {1, 2, 3});
    return new Checkpoint(
        step,
        (int) (step / 10),
        weights,
        new OptimizerState("Adam", step, buffers),
        new LoaderPosition((int) (step / 10), (int) (step % 10), 42, 64));
  }

  private static void save(CheckpointedRun run, long step) {
    run.sink().save(checkpoint(step)).toCompletableFuture().join();
  }

  private static void assertSame(Checkpoint expected, Checkpoint actual) {
    assertEquals(expected.step(), actual.step());
    assertEquals(expected.epoch(), actual.epoch());
    assertEquals(expected.weights(), actual.weights());
    assertEquals(expected.position(), actual.position());
    assertEquals(expected.optimizer().step(), actual.optimizer().step());
    for (var e : expected.optimizer().buffers().entrySet()) {
      assertArrayEquals(e.getValue(), actual.optimizer().buffers().get(e.getKey()), e.getKey());
    }
  }

  private Path newestFile(String runId) throws Exception {
    try (Stream<Path> files = Files.list(dataDir.resolve("checkpoints").resolve(runId))) {
      return files.filter(p -> p.toString().endsWith(".safetensors")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  private int filesOf(String runId) throws Exception {
    try (Stream<Path> files = Files.list(dataDir.resolve("checkpoints").resolve(runId))) {
      return (int) files.filter(p -> p.toString().endsWith(".safetensors")).count();
    }
  }

  @Test
  void checkpointsSurviveARestartAndOnlyTheLastTwoAreKept() throws Exception {
    withSystem(
        kit -> {
          CheckpointedRun run = open(kit, "r1", CONFIG);
          assertTrue(run.created());
          assertTrue(run.resumeFrom().isEmpty());
          for (long step : new long[] {10, 20, 30, 40}) {
            save(run, step);
          }
          assertEquals(40, run.sink().latest().orElseThrow().step());
          run.sink().flushed().toCompletableFuture().join();
        });
    assertEquals(2, filesOf("r1"), "keep-last 2");
    withSystem(
        kit -> {
          CheckpointedRun again = open(kit, "r1", CONFIG);
          assertFalse(again.created());
          assertEquals(List.of(30L, 40L), again.state().checkpoints().stream().map(CheckpointEntry::step).toList());
          assertSame(checkpoint(40), again.resumeFrom().orElseThrow());
          assertTrue(again.skipped().isEmpty());
        });
  }

  @Test
  void aCorruptNewestCheckpointIsSkippedForThePreviousOne() throws Exception {
    prepare("corrupt");
    Path newest = newestFile("corrupt");
    try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x5a}), Files.size(newest) - 3);
    }
    CorruptCheckpointException skipped = reopenExpectingFallback("corrupt");
    assertTrue(skipped.getMessage().contains(newest.getFileName().toString()), skipped.getMessage());
    assertTrue(skipped.getMessage().contains("sha256"), skipped.getMessage());
  }

  @Test
  void aTruncatedNewestCheckpointIsSkippedForThePreviousOne() throws Exception {
    prepare("truncated");
    Path newest = newestFile("truncated");
    try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(newest) / 2);
    }
    CorruptCheckpointException skipped = reopenExpectingFallback("truncated");
    assertTrue(skipped.getMessage().contains("truncated"), skipped.getMessage());
  }

  @Test
  void aMissingNewestCheckpointIsSkippedForThePreviousOne() throws Exception {
    prepare("missing");
    Path newest = newestFile("missing");
    Files.delete(newest);
    CorruptCheckpointException skipped = reopenExpectingFallback("missing");
    assertTrue(skipped.getMessage().contains("missing"), skipped.getMessage());
    assertEquals(newest.toUri(), URI.create(skipped.location()));
  }

  @Test
  void aRunIsOpenOnceAtATimeInASystemAndCanBeReopenedAfterClose() {
    withSystem(
        kit -> {
          CheckpointedRun run = open(kit, "once", CONFIG);
          save(run, 10);
          IllegalStateException twice =
              assertThrows(IllegalStateException.class, () -> open(kit, "once", CONFIG));
          assertTrue(twice.getMessage().contains("already open"), twice.getMessage());
          run.close().toCompletableFuture().join();
          CheckpointedRun again = open(kit, "once", CONFIG);
          assertSame(checkpoint(10), again.resumeFrom().orElseThrow());
        });
  }

  @Test
  void reopeningWithAnotherConfigurationIsRefusedNamingTheDifference() {
    withSystem(kit -> open(kit, "cfg", CONFIG));
    withSystem(
        kit -> {
          RunConfigMismatchException e =
              assertThrows(
                  RunConfigMismatchException.class,
                  () -> open(kit, "cfg", Map.of("model", "mlp", "batch", "32")));
          assertTrue(e.getMessage().contains("batch"), e.getMessage());
          assertTrue(e.getMessage().contains("64") && e.getMessage().contains("32"), e.getMessage());
        });
  }

  @Test
  void temporaryFilesACrashLeftAreRemovedOnOpen() throws Exception {
    prepare("tmp");
    Path stale = dataDir.resolve("checkpoints").resolve("tmp").resolve("step-000000000030.safetensors.tmp");
    Files.write(stale, new byte[] {1, 2, 3});
    withSystem(
        kit -> {
          CheckpointedRun run = open(kit, "tmp", CONFIG);
          assertFalse(Files.exists(stale));
          assertEquals(20, run.resumeFrom().orElseThrow().step());
        });
  }

  /** Saves checkpoints at steps 10 and 20 of {@code runId}. */
  private void prepare(String runId) {
    withSystem(
        kit -> {
          CheckpointedRun run = open(kit, runId, CONFIG);
          save(run, 10);
          save(run, 20);
        });
  }

  private static List<Long> journaledSteps(ActorTestKit kit, String runId) {
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<RunState> probe = kit.createTestProbe();
    kit.spawn(TrainingJournal.create(runId), "peek-" + System.nanoTime())
        .tell(new TrainingJournal.GetRun(probe.getRef()));
    return probe.receiveMessage(java.time.Duration.ofSeconds(30)).checkpoints().stream()
        .map(CheckpointEntry::step)
        .toList();
  }

  private CorruptCheckpointException reopenExpectingFallback(String runId) {
    CorruptCheckpointException[] skipped = new CorruptCheckpointException[1];
    withSystem(
        kit -> {
          CheckpointedRun run = open(kit, runId, CONFIG);
          assertSame(checkpoint(10), run.resumeFrom().orElseThrow());
          assertEquals(1, run.skipped().size());
          skipped[0] = assertInstanceOf(CorruptCheckpointException.class, run.skipped().get(0));
          // The damaged one left the journal and its file was set aside, not deleted.
          assertEquals(List.of(10L), journaledSteps(kit, runId));
          assertFalse(Files.exists(Path.of(URI.create(skipped[0].location()))));
          if (!skipped[0].getMessage().contains("missing")) {
            assertTrue(Files.exists(Path.of(URI.create(skipped[0].location() + ".corrupt"))));
          }
          // Training goes on from step 10: a checkpoint before the skipped step 20 is accepted.
          save(run, 15);
          save(run, 20);
          assertEquals(20, run.sink().latest().orElseThrow().step());
        });
    withSystem(
        kit -> {
          CheckpointedRun run = open(kit, runId, CONFIG);
          assertSame(checkpoint(20), run.resumeFrom().orElseThrow());
          assertTrue(run.skipped().isEmpty(), () -> run.skipped().toString());
        });
    return skipped[0];
  }
}
