package io.zbmd.ml.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.actor.DataLoaderActor.NextBatch;
import io.zbmd.ml.actor.DataLoaderActor.SeekRejected;
import io.zbmd.ml.actor.DataLoaderActor.SeekResult;
import io.zbmd.ml.actor.DataLoaderActor.Sought;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.LoaderOptions;
import io.zbmd.ml.data.LoaderPosition;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The loader as an actor: batches in order, the end of each epoch, positions that resume. */
class DataLoaderActorTest {
  private static ActorTestKit kit;
  private static final Blobs DATA = new Blobs(5, 50);

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("data-loader-actor");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ActorRef<DataLoaderActor.Command> spawn() {
    return kit.spawn(
        DataLoaderActor.create(new DataLoader(DATA.dataset(), LoaderOptions.of(16, 42))));
  }

  private static NextBatch next(ActorRef<DataLoaderActor.Command> loader) {
    TestProbe<NextBatch> probe = kit.createTestProbe();
    loader.tell(new DataLoaderActor.Next(probe.getRef()));
    return probe.receiveMessage();
  }

  @Test
  void batchesComeInOrderAndTheLastOfAnEpochSaysSo() {
    ActorRef<DataLoaderActor.Command> loader = spawn();
    DataLoader reference = new DataLoader(DATA.dataset(), LoaderOptions.of(16, 42));
    List<Boolean> ends = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      NextBatch b = next(loader);
      assertEquals(reference.next(), b.batch());
      ends.add(b.endOfEpoch());
    }
    // 50 samples in batches of 16: 4 batches per epoch, the last one of 2 samples.
    assertEquals(List.of(false, false, false, true, false, false, false, true), ends);
  }

  @Test
  void aSavedPositionResumesWithTheSameBatches() {
    ActorRef<DataLoaderActor.Command> first = spawn();
    next(first);
    next(first);
    TestProbe<LoaderPosition> positions = kit.createTestProbe();
    first.tell(new DataLoaderActor.Position(positions.getRef()));
    LoaderPosition saved = positions.receiveMessage();
    assertEquals(new LoaderPosition(0, 2, 42, 16), saved);

    ActorRef<DataLoaderActor.Command> resumed = spawn();
    TestProbe<SeekResult> sought = kit.createTestProbe();
    resumed.tell(new DataLoaderActor.Seek(saved, sought.getRef()));
    assertEquals(new Sought(saved), sought.receiveMessage());
    for (int i = 0; i < 5; i++) {
      assertEquals(next(first).batch(), next(resumed).batch());
    }
  }

  @Test
  void aPositionOfAnotherLoaderIsRejectedAndTheLoaderGoesOn() {
    ActorRef<DataLoaderActor.Command> loader = spawn();
    TestProbe<SeekResult> sought = kit.createTestProbe();
    loader.tell(new DataLoaderActor.Seek(new LoaderPosition(0, 1, 7, 16), sought.getRef()));
    SeekRejected r = assertInstanceOf(SeekRejected.class, sought.receiveMessage());
    assertTrue(r.reason().contains("seed 7"), r.reason());
    NextBatch b = next(loader);
    assertEquals(0, b.batch().index());
    assertFalse(b.endOfEpoch());
  }
}
