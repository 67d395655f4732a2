package io.zbmd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.checkpoint.RunEvent.EpochCompleted;
import io.zbmd.checkpoint.TrainingJournal.CheckpointAcknowledged;
import io.zbmd.checkpoint.TrainingJournal.CheckpointRejected;
import io.zbmd.checkpoint.TrainingJournal.Complete;
import io.zbmd.checkpoint.TrainingJournal.ConfigMismatch;
import io.zbmd.checkpoint.TrainingJournal.Fail;
import io.zbmd.checkpoint.TrainingJournal.GetRun;
import io.zbmd.checkpoint.TrainingJournal.RecordBatchSizeReduced;
import io.zbmd.checkpoint.TrainingJournal.RecordCheckpoint;
import io.zbmd.checkpoint.TrainingJournal.RecordCheckpointDeleted;
import io.zbmd.checkpoint.TrainingJournal.RecordDeviceMigrated;
import io.zbmd.checkpoint.TrainingJournal.RecordEpochCompleted;
import io.zbmd.checkpoint.TrainingJournal.RecordReply;
import io.zbmd.checkpoint.TrainingJournal.RunOpened;
import io.zbmd.checkpoint.TrainingJournal.Start;
import io.zbmd.checkpoint.TrainingJournal.StartReply;
import io.zbmd.checkpoint.internal.JournalSchema;
import io.zbmd.runtime.Zbmd;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a {@link TrainingJournal} does, against one database; subclassed per database ({@link
 * TrainingJournalH2Test}, {@link TrainingJournalPostgresTest}). Each test has a run id of its own,
 * so they share a database without cleaning it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TrainingJournalContract {
  private static final Map<String, String> CONFIG = Map.of("batch", "64", "lr", "0.1", "seed", "1");

  private Config config;
  private ActorTestKit kit;

  /** The overrides selecting the database; skips the class when it is missing. */
  abstract Config database();

  @BeforeAll
  void startSystem() {
    // Small snapshot interval, so that recovery goes through a snapshot too.
    config =
        database()
            .withFallback(ConfigFactory.parseString("zbmd.checkpoint.journal.snapshot-every = 3"));
    kit = newKit();
  }

  @AfterAll
  void stopSystem() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  @Test
  void startCreatesTheRunAndStartingAgainResumesIt() {
    String run = newRunId();
    ActorRef<TrainingJournal.Command> journal = kit.spawn(TrainingJournal.create(run));
    TestProbe<StartReply> replies = kit.createTestProbe();

    journal.tell(new Start(CONFIG, replies.getRef()));
    RunOpened created = assertInstanceOf(RunOpened.class, replies.receiveMessage());
    assertTrue(created.created());
    assertEquals(RunStatus.RUNNING, created.state().status());
    assertEquals(CONFIG, created.state().config());
    assertEquals(run, created.state().runId());

    journal.tell(new Start(Map.of("seed", "1", "lr", "0.1", "batch", "64"), replies.getRef()));
    RunOpened resumed = assertInstanceOf(RunOpened.class, replies.receiveMessage());
    assertFalse(resumed.created());
    assertEquals(RunStatus.RUNNING, resumed.state().status());
    assertEquals(created.state().startedAt(), resumed.state().startedAt());
  }

  @Test
  void aDifferentConfigIsRefusedNamingEveryDifferingKey() {
    String run = newRunId();
    ActorRef<TrainingJournal.Command> journal = kit.spawn(TrainingJournal.create(run));
    RunState started = start(journal, CONFIG);

    TestProbe<StartReply> replies = kit.createTestProbe();
    journal.tell(
        new Start(Map.of("batch", "32", "lr", "0.1", "optimizer", "adam"), replies.getRef()));
    ConfigMismatch mismatch = assertInstanceOf(ConfigMismatch.class, replies.receiveMessage());
    assertTrue(
        mismatch
            .message()
            .startsWith(
                "run "
                    + run
                    + " was started with batch=64, now batch=32;"
                    + " no optimizer, now optimizer=adam; seed=1, now no seed."),
        mismatch.message());
    // Nothing was recorded: the state is the one after the first start.
    assertEquals(started, mismatch.state());
    assertEquals(started, getRun(journal));
  }

  @Test
  void aCheckpointIsAcknowledgedOnceStoredAndSurvivesARestart() {
    String run = newRunId();
    RunState before;
    ActorTestKit writer = newKit();
    try {
      ActorRef<TrainingJournal.Command> journal = writer.spawn(TrainingJournal.create(run));
      start(writer, journal, CONFIG);
      CheckpointAcknowledged ack =
          assertInstanceOf(
              CheckpointAcknowledged.class,
              recordCheckpoint(writer, journal, 100, 1, "file:/ckpt/100", Map.of("loss", 0.5)));
      assertEquals(new CheckpointAcknowledged(100, "file:/ckpt/100"), ack);
      // Acknowledged means stored: the read side (straight from the database) has it already.
      RunState stored = await(RunsQuery.create(writer.system()).run(run)).orElseThrow();
      assertEquals(List.of("file:/ckpt/100"), uris(stored));

      TestProbe<Done> done = writer.createTestProbe();
      journal.tell(new RecordBatchSizeReduced(150, 32, 2, "out of memory", done.getRef()));
      done.expectMessage(Done.getInstance());
      journal.tell(new RecordDeviceMigrated(160, "cuda:0", "cpu", "device lost", done.getRef()));
      done.expectMessage(Done.getInstance());
      journal.tell(new RecordEpochCompleted(2, 200, 0.4, 0.45, 0.87, done.getRef()));
      done.expectMessage(Done.getInstance());
      recordCheckpoint(writer, journal, 200, 2, "file:/ckpt/200", Map.of("loss", 0.4));
      journal.tell(new RecordCheckpointDeleted("file:/ckpt/100", done.getRef()));
      done.expectMessage(Done.getInstance());
      before = getRun(writer, journal);
    } finally {
      writer.shutdownTestKit();
    }
    assertEquals(List.of("file:/ckpt/200"), uris(before));
    assertEquals(2, before.epochsCompleted());
    assertEquals(200, before.lastStep());
    assertEquals(1, before.batchSizeReductions());
    assertEquals(1, before.deviceMigrations());

    ActorTestKit reader = newKit();
    try {
      RunState after = getRun(reader, reader.spawn(TrainingJournal.create(run)));
      assertEquals(before, after);
      assertEquals(200, after.latestCheckpoint().orElseThrow().step());
    } finally {
      reader.shutdownTestKit();
    }
  }

  @Test
  void checkpointsBeforeTheLatestAndForRunsNotStartedAreRejected() {
    String run = newRunId();
    ActorRef<TrainingJournal.Command> journal = kit.spawn(TrainingJournal.create(run));
    CheckpointRejected notStarted =
        assertInstanceOf(
            CheckpointRejected.class, recordCheckpoint(kit, journal, 10, 0, "file:/a", Map.of()));
    assertTrue(notStarted.reason().contains("was never started"), notStarted.reason());

    start(journal, CONFIG);
    assertInstanceOf(
        CheckpointAcknowledged.class, recordCheckpoint(kit, journal, 200, 1, "file:/b", Map.of()));
    CheckpointRejected early =
        assertInstanceOf(
            CheckpointRejected.class, recordCheckpoint(kit, journal, 100, 1, "file:/c", Map.of()));
    assertEquals(
        "step 100 is before step 200 of the latest checkpoint of run " + run + " (file:/b)",
        early.reason());
    // The same checkpoint again (a lost acknowledgement) is acknowledged without a second entry.
    assertInstanceOf(
        CheckpointAcknowledged.class, recordCheckpoint(kit, journal, 200, 1, "file:/b", Map.of()));
    assertEquals(List.of("file:/b"), uris(getRun(journal)));
  }

  @Test
  void aFailedRunResumesAndACompletedRunStaysCompleted() {
    String run = newRunId();
    ActorRef<TrainingJournal.Command> journal = kit.spawn(TrainingJournal.create(run));
    start(journal, CONFIG);
    TestProbe<Done> done = kit.createTestProbe();

    journal.tell(new Fail("device lost on cuda:0", done.getRef()));
    done.expectMessage(Done.getInstance());
    RunState failed = getRun(journal);
    assertEquals(RunStatus.FAILED, failed.status());
    assertEquals("device lost on cuda:0", failed.failure());
    // Nothing but Start is recorded for a failed run.
    journal.tell(new RecordEpochCompleted(1, 10, 0.5, 0.5, 0.5, done.getRef()));
    done.expectNoMessage(Duration.ofMillis(100));

    RunState resumed = start(journal, CONFIG);
    assertEquals(RunStatus.RUNNING, resumed.status());
    assertNull(resumed.failure());

    journal.tell(new Complete(300, Map.of("accuracy", 0.97), done.getRef()));
    done.expectMessage(Done.getInstance());
    RunState completed = getRun(journal);
    assertEquals(RunStatus.COMPLETED, completed.status());
    assertEquals(300, completed.lastStep());
    // Starting a completed run opens it as it is, recording nothing.
    assertEquals(completed, start(journal, CONFIG));
    assertEquals(completed, getRun(journal));
    CheckpointRejected late =
        assertInstanceOf(
            CheckpointRejected.class, recordCheckpoint(kit, journal, 400, 3, "file:/z", Map.of()));
    assertTrue(late.reason().contains("has completed"), late.reason());
    journal.tell(new Complete(300, Map.of(), done.getRef()));
    done.expectMessage(Done.getInstance());
  }

  @Test
  void nanMetricsRoundTripThroughTheDatabase() {
    String run = newRunId();
    ActorRef<TrainingJournal.Command> journal = kit.spawn(TrainingJournal.create(run));
    start(journal, CONFIG);
    recordCheckpoint(kit, journal, 10, 1, "file:/nan", Map.of("loss", Double.NaN, "acc", 0.5));
    TestProbe<Done> done = kit.createTestProbe();
    journal.tell(new RecordEpochCompleted(1, 10, 0.3, Double.NaN, Double.NaN, done.getRef()));
    done.expectMessage(Done.getInstance());

    RunState stored = await(RunsQuery.create(kit.system()).run(run)).orElseThrow();
    Map<String, Double> metrics = stored.latestCheckpoint().orElseThrow().metrics();
    assertTrue(metrics.get("loss").isNaN());
    assertEquals(0.5, metrics.get("acc"));

    JdbcReadJournal read =
        PersistenceQuery.get(kit.system().classicSystem())
            .getReadJournalFor(JdbcReadJournal.class, CheckpointJournal.READ_JOURNAL_PLUGIN_ID);
    List<Object> events =
        await(
            read.currentEventsByPersistenceId(TrainingJournal.persistenceId(run), 0, Long.MAX_VALUE)
                .map(e -> e.event())
                .runWith(Sink.seq(), kit.system()));
    EpochCompleted epoch =
        events.stream()
            .filter(EpochCompleted.class::isInstance)
            .map(EpochCompleted.class::cast)
            .findFirst()
            .orElseThrow();
    assertEquals(0.3, epoch.trainLoss());
    assertTrue(Double.isNaN(epoch.testLoss()));
    assertTrue(Double.isNaN(epoch.testAccuracy()));
  }

  @Test
  void eventsAndSnapshotsAreWrittenAsJacksonCbor() {
    Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
    Instant at = Instant.parse("2026-01-02T03:04:05.123456789Z");
    List<JournalSerializable> values =
        List.of(
            new RunEvent.RunStarted("r1", CONFIG, at),
            new RunEvent.CheckpointRecorded(
                5, 1, "file:/c", "ab", 9, Map.of("loss", Double.NaN), at),
            new RunEvent.EpochCompleted(1, 5, 0.1, Double.NaN, Double.NaN, at),
            new RunEvent.RunFailed("boom", at),
            RunState.empty("r1").applied(new RunEvent.RunStarted("r1", CONFIG, at)));
    for (JournalSerializable value : values) {
      assertInstanceOf(JacksonCborSerializer.class, serialization.findSerializerFor(value));
      byte[] bytes = serialization.serialize(value).get();
      Object back =
          serialization
              .deserialize(
                  bytes,
                  serialization.findSerializerFor(value).identifier(),
                  Serializers.manifestFor(serialization.findSerializerFor(value), value))
              .get();
      assertEquals(value, back);
    }
  }

  @Test
  void schemaCreationIsIdempotent() throws Exception {
    JournalSettings settings = CheckpointJournal.get(kit.system()).settings();
    JournalSchema.ensure(settings);
    JournalSchema.ensure(settings);
    try (Connection c = JournalSchema.connect(settings)) {
      // The whole shipped script, twice, over existing tables.
      JournalSchema.applyScript(c, settings.database());
      JournalSchema.applyScript(c, settings.database());
      assertTrue(JournalSchema.exists(c));
    }
    await(CheckpointJournal.get(kit.system()).ensureSchema());
  }

  // --- helpers

  private ActorTestKit newKit() {
    return ActorTestKit.create(getClass().getSimpleName(), Zbmd.config(config));
  }

  private String newRunId() {
    return getClass().getSimpleName() + "-" + UUID.randomUUID();
  }

  private RunState start(ActorRef<TrainingJournal.Command> journal, Map<String, String> config) {
    return start(kit, journal, config);
  }

  private static RunState start(
      ActorTestKit kit, ActorRef<TrainingJournal.Command> journal, Map<String, String> config) {
    TestProbe<StartReply> replies = kit.createTestProbe();
    journal.tell(new Start(config, replies.getRef()));
    return assertInstanceOf(RunOpened.class, replies.receiveMessage()).state();
  }

  private static RecordReply recordCheckpoint(
      ActorTestKit kit,
      ActorRef<TrainingJournal.Command> journal,
      long step,
      int epoch,
      String uri,
      Map<String, Double> metrics) {
    TestProbe<RecordReply> replies = kit.createTestProbe();
    journal.tell(new RecordCheckpoint(step, epoch, uri, "00ff", 1234, metrics, replies.getRef()));
    return replies.receiveMessage();
  }

  private RunState getRun(ActorRef<TrainingJournal.Command> journal) {
    return getRun(kit, journal);
  }

  private static RunState getRun(ActorTestKit kit, ActorRef<TrainingJournal.Command> journal) {
    TestProbe<RunState> replies = kit.createTestProbe();
    journal.tell(new GetRun(replies.getRef()));
    return replies.receiveMessage();
  }

  private static List<String> uris(RunState s) {
    return s.checkpoints().stream().map(CheckpointEntry::uri).toList();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
