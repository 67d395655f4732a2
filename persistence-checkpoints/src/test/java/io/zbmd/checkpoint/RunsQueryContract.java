package io.zbmd.checkpoint;

import static io.zbmd.checkpoint.TrainingJournalContract.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.zbmd.checkpoint.TrainingJournal.CheckpointAcknowledged;
import io.zbmd.checkpoint.TrainingJournal.Complete;
import io.zbmd.checkpoint.TrainingJournal.RecordCheckpoint;
import io.zbmd.checkpoint.TrainingJournal.RecordReply;
import io.zbmd.checkpoint.TrainingJournal.RunOpened;
import io.zbmd.checkpoint.TrainingJournal.Start;
import io.zbmd.checkpoint.TrainingJournal.StartReply;
import io.zbmd.runtime.Zbmd;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Listing runs with {@link RunsQuery}, against one database; subclassed per database. The database
 * may hold other runs (PostgreSQL is shared), so the test looks at its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RunsQueryContract {
  private Config config;

  /** The overrides selecting the database; skips the class when it is missing. */
  abstract Config database();

  @BeforeAll
  void selectDatabase() {
    config = database();
  }

  @Test
  void listsEveryRunWithItsCheckpointsOldestFirst() {
    String suffix = UUID.randomUUID().toString();
    String first = "a-" + suffix;
    String second = "b-" + suffix;

    ActorTestKit writer = ActorTestKit.create("writer", Zbmd.config(config));
    try {
      ActorRef<TrainingJournal.Command> a = writer.spawn(TrainingJournal.create(first));
      start(writer, a, Map.of("batch", "64"));
      ActorRef<TrainingJournal.Command> b = writer.spawn(TrainingJournal.create(second));
      start(writer, b, Map.of("batch", "32"));
      checkpoint(writer, a, 100, "file:/a/100");
      checkpoint(writer, a, 200, "file:/a/200");
      checkpoint(writer, b, 50, "file:/b/50");
      TestProbe<Done> done = writer.createTestProbe();
      b.tell(new Complete(60, Map.of("accuracy", 0.9), done.getRef()));
      done.expectMessage(Done.getInstance());
    } finally {
      writer.shutdownTestKit();
    }

    // A fresh system, as `zbmd runs` would be: no journal actor has started its plugins.
    ActorTestKit reader = ActorTestKit.create("reader", Zbmd.config(config));
    try {
      RunsQuery query = RunsQuery.create(reader.system());
      List<RunState> ours =
          await(query.runs()).stream()
              .filter(r -> Set.of(first, second).contains(r.runId()))
              .toList();
      assertEquals(List.of(first, second), ours.stream().map(RunState::runId).toList());
      RunState runA = ours.get(0);
      RunState runB = ours.get(1);
      assertEquals(RunStatus.RUNNING, runA.status());
      assertEquals(
          List.of("file:/a/100", "file:/a/200"),
          runA.checkpoints().stream().map(CheckpointEntry::uri).toList());
      assertEquals(Map.of("batch", "64"), runA.config());
      assertEquals(RunStatus.COMPLETED, runB.status());
      assertEquals(50, runB.latestCheckpoint().orElseThrow().step());
      assertTrue(!runA.startedAt().isAfter(runB.startedAt()));

      assertEquals(runA, await(query.run(first)).orElseThrow());
      assertTrue(await(query.run("never-" + suffix)).isEmpty());
    } finally {
      reader.shutdownTestKit();
    }
  }

  private static void start(
      ActorTestKit kit, ActorRef<TrainingJournal.Command> journal, Map<String, String> config) {
    TestProbe<StartReply> replies = kit.createTestProbe();
    journal.tell(new Start(config, replies.getRef()));
    assertInstanceOf(RunOpened.class, replies.receiveMessage());
  }

  private static void checkpoint(
      ActorTestKit kit, ActorRef<TrainingJournal.Command> journal, long step, String uri) {
    TestProbe<RecordReply> replies = kit.createTestProbe();
    journal.tell(new RecordCheckpoint(step, 1, uri, "00ff", 10, Map.of(), replies.getRef()));
    assertInstanceOf(CheckpointAcknowledged.class, replies.receiveMessage());
  }
}
