package io.zbmd.ml.actor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.ModelActor.Command;
import io.zbmd.ml.actor.ModelActor.Evaluated;
import io.zbmd.ml.actor.ModelActor.EvaluationResult;
import io.zbmd.ml.actor.ModelActor.ImportFailed;
import io.zbmd.ml.actor.ModelActor.ImportResult;
import io.zbmd.ml.actor.ModelActor.Imported;
import io.zbmd.ml.actor.ModelActor.OptimizerStateExported;
import io.zbmd.ml.actor.ModelActor.OptimizerStateResult;
import io.zbmd.ml.actor.ModelActor.StepCompleted;
import io.zbmd.ml.actor.ModelActor.StepFailed;
import io.zbmd.ml.actor.ModelActor.StepResult;
import io.zbmd.ml.actor.ModelActor.WeightsExported;
import io.zbmd.ml.actor.ModelActor.WeightsResult;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.OptimizerState;
import io.zbmd.ml.optim.SGD;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model as an actor on the CPU backend: it trains, keeps to its device's thread, accumulates
 * micro-batches into the same update, answers an out-of-memory step with a reply and goes on,
 * moves weights and optimizer state out and back in exactly, and frees its memory when it stops.
 */
class ModelActorTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static ActorTestKit kit;
  private static GpuExtension gpu;
  private static int spawned;

  @BeforeAll
  static void start() {
    // 2 MiB: room for the small models here, not for a 4096-sample batch through 256 hidden units.
    kit =
        ActorTestKit.create(
            "model-actor",
            Zbmd.config(
                ConfigFactory.parseString(
                    """
                    zbmd.gpu.backends = [cpu]
                    zbmd.gpu.devices.cpu-0.memory-limit = 2 MiB
                    """)));
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void everyActorFreedItsMemory() {
    // Each test stops its actors; what they owned is freed in PostStop.
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        WAIT, () -> {
          assertEquals(0, gpu.memory(CPU0).used(), () -> "still held: " + gpu.memory(CPU0));
          return null;
        });
  }

  /** An MLP 10-hidden-3 with weights from {@code seed}, trained by {@code optimizer}. */
  private static ModelSpec mlp(long seed, int hidden, ModelSpec.OptimizerFactory optimizer) {
    return ModelSpec.of(
        (ops, alloc) -> {
          SplittableRandom rng = new SplittableRandom(seed);
          return Sequential.builder()
              .add("fc1", new Linear(ops, alloc, Blobs.FEATURES, hidden, rng))
              .add("relu", new ReLU(alloc))
              .add("fc2", new Linear(ops, alloc, hidden, Blobs.CLASSES, rng))
              .build();
        },
        CrossEntropyLoss::new,
        optimizer);
  }

  private static ModelSpec adamMlp(long seed) {
    return mlp(seed, 32, (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-2)));
  }

  private static ModelSpec sgdMlp(long seed) {
    return mlp(seed, 32, (alloc, p) -> new SGD(alloc, p, SGD.Options.of(0.1).withMomentum(0.9)));
  }

  private static ActorRef<Command> spawn(ModelSpec spec) {
    return kit.spawn(ModelActor.create(spec, CPU0), "model-" + (++spawned), gpu.props(CPU0));
  }

  private static StepCompleted step(ActorRef<Command> model, Batch batch, int microBatches) {
    TestProbe<StepResult> replies = kit.createTestProbe();
    model.tell(new ModelActor.TrainStep(batch, microBatches, replies.getRef()));
    StepResult r = replies.expectMessageClass(StepResult.class, WAIT);
    if (r instanceof StepFailed f) {
      throw new AssertionError("step " + f.step() + " failed", f.cause());
    }
    return (StepCompleted) r;
  }

  private static Map<String, HostTensor> export(ActorRef<Command> model) {
    TestProbe<WeightsResult> replies = kit.createTestProbe();
    model.tell(new ModelActor.ExportWeights(replies.getRef()));
    return assertInstanceOf(WeightsExported.class, replies.receiveMessage(WAIT)).weights();
  }

  private static ImportResult importWeights(ActorRef<Command> model, Map<String, HostTensor> w) {
    TestProbe<ImportResult> replies = kit.createTestProbe();
    model.tell(new ModelActor.ImportWeights(w, replies.getRef()));
    return replies.receiveMessage(WAIT);
  }

  @Test
  void anMlpLearnsSeparableBlobsOnTheDevicesThread() {
    ActorRef<Command> model = spawn(adamMlp(11));
    try {
      int batch = 32;
      int steps = 60;
      Blobs train = new Blobs(11, batch * steps);
      float first = 0;
      double last = 0;
      for (int s = 0; s < steps; s++) {
        StepCompleted r = step(model, train.batch(s * batch, batch, s), 1);
        assertEquals(s + 1, r.step());
        assertEquals(batch, r.samples());
        if (s == 0) {
          first = r.loss();
        }
        if (s >= steps - 10) {
          last += r.loss() / 10;
        }
      }
      assertTrue(last < 0.3 * first, "loss fell from " + first + " to " + last);

      TestProbe<EvaluationResult> eval = kit.createTestProbe();
      model.tell(new ModelActor.Evaluate(new Blobs(99, 300).dataset(), 64, eval.getRef()));
      Evaluated e = assertInstanceOf(Evaluated.class, eval.receiveMessage(WAIT));
      assertEquals(300, e.samples());
      assertTrue(e.accuracy() >= 0.9, "accuracy " + e.accuracy());
      assertTrue(e.loss() < first, "test loss " + e.loss());

      TestProbe<ModelActor.Status> status = kit.createTestProbe();
      model.tell(new ModelActor.GetStatus(status.getRef()));
      ModelActor.Status st = status.receiveMessage(WAIT);
      assertEquals("zbmd-device-cpu-0", st.thread()); // the device's pinned dispatcher thread
      assertEquals(steps, st.steps());
      assertEquals(CPU0, st.device());
      assertEquals(10 * 32 + 32 + 32 * 3 + 3, st.parameters());
    } finally {
      kit.stop(model);
    }
  }

  @Test
  void aDataLoaderActorFeedsAModelActorForTwoEpochs() {
    ActorRef<Command> model = spawn(adamMlp(21));
    ActorRef<DataLoaderActor.Command> data =
        kit.spawn(
            DataLoaderActor.create(
                new io.zbmd.ml.data.DataLoader(
                    new Blobs(21, 320).dataset(), io.zbmd.ml.data.LoaderOptions.of(32, 21))));
    try {
      TestProbe<DataLoaderActor.NextBatch> batches = kit.createTestProbe();
      double[] epochLoss = new double[2];
      int epochs = 0;
      long steps = 0;
      while (epochs < 2) {
        data.tell(new DataLoaderActor.Next(batches.getRef()));
        DataLoaderActor.NextBatch next = batches.receiveMessage(WAIT);
        StepCompleted r = step(model, next.batch(), 2);
        assertEquals(++steps, r.step());
        epochLoss[next.batch().epoch()] += r.loss() / 10;
        if (next.endOfEpoch()) {
          epochs++;
        }
      }
      assertEquals(20, steps);
      assertTrue(
          epochLoss[1] < epochLoss[0], "epoch losses " + java.util.Arrays.toString(epochLoss));
    } finally {
      kit.stop(model);
      kit.stop(data);
    }
  }

  @Test
  void microBatchesKeepTheEffectiveBatch() {
    ActorRef<Command> whole = spawn(sgdMlp(3));
    ActorRef<Command> halves = spawn(sgdMlp(3));
    ActorRef<Command> uneven = spawn(sgdMlp(3));
    try {
      Batch batch = new Blobs(3, 8).batch(0, 8, 0);
      for (int s = 0; s < 2; s++) {
        StepCompleted a = step(whole, batch, 1);
        StepCompleted b = step(halves, batch, 2);
        StepCompleted c = step(uneven, batch, 3); // 3 + 3 + 2 samples, weighed by their share
        assertEquals(a.loss(), b.loss(), 1e-6);
        assertEquals(a.loss(), c.loss(), 1e-6);
      }
      Map<String, HostTensor> w = export(whole);
      for (ActorRef<Command> other : java.util.List.of(halves, uneven)) {
        Map<String, HostTensor> o = export(other);
        assertEquals(w.keySet(), o.keySet());
        for (String k : w.keySet()) {
          assertArrayEquals(w.get(k).toFloats(), o.get(k).toFloats(), 1e-6f, k);
        }
      }
    } finally {
      kit.stop(whole);
      kit.stop(halves);
      kit.stop(uneven);
    }
  }

  @Test
  void outOfDeviceMemoryComesBackAsAReplyAndTheActorGoesOn() {
    ActorRef<Command> model =
        spawn(mlp(5, 256, (alloc, p) -> new SGD(alloc, p, SGD.Options.of(0.1))));
    try {
      Blobs data = new Blobs(5, 4096);
      TestProbe<StepResult> replies = kit.createTestProbe();
      model.tell(new ModelActor.TrainStep(data.batch(0, 4096, 0), 1, replies.getRef()));
      StepFailed failed = assertInstanceOf(StepFailed.class, replies.receiveMessage(WAIT));
      assertEquals(1, failed.step());
      assertInstanceOf(DeviceOutOfMemoryException.class, failed.cause());

      // What a supervisor does: the same batch again in micro-batches that fit; the failed step
      // was not counted, and the effective batch is kept.
      StepCompleted retried = step(model, data.batch(0, 4096, 0), 16);
      assertEquals(1, retried.step());
      assertEquals(4096, retried.samples());
      assertEquals(2, step(model, data.batch(0, 64, 1), 1).step());
    } finally {
      kit.stop(model);
    }
  }

  @Test
  void commandsSentWhileAStepRunsWaitTheirTurn() {
    ActorRef<Command> model = spawn(sgdMlp(7));
    try {
      Blobs data = new Blobs(7, 16 * 5);
      TestProbe<StepResult> steps = kit.createTestProbe();
      TestProbe<WeightsResult> weights = kit.createTestProbe();
      for (int s = 0; s < 5; s++) {
        model.tell(new ModelActor.TrainStep(data.batch(16 * s, 16, s), 1, steps.getRef()));
      }
      model.tell(new ModelActor.ExportWeights(weights.getRef()));
      for (int s = 1; s <= 5; s++) {
        assertEquals(s, assertInstanceOf(StepCompleted.class, steps.receiveMessage(WAIT)).step());
      }
      assertInstanceOf(WeightsExported.class, weights.receiveMessage(WAIT));
    } finally {
      kit.stop(model);
    }
  }

  @Test
  void exportedWeightsAndOptimizerStateImportBitForBit() {
    ActorRef<Command> trained = spawn(adamMlp(1));
    ActorRef<Command> fresh = spawn(adamMlp(2));
    try {
      Blobs data = new Blobs(1, 16 * 4);
      for (int s = 0; s < 3; s++) {
        step(trained, data.batch(16 * s, 16, s), 1);
      }
      Map<String, HostTensor> w = export(trained);
      assertEquals(
          java.util.List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"),
          java.util.List.copyOf(w.keySet()));
      assertEquals(new Imported("weights", 4), importWeights(fresh, w));
      assertEquals(w, export(fresh)); // HostTensor equality: same dtype, shape and bytes

      TestProbe<OptimizerStateResult> state = kit.createTestProbe();
      trained.tell(new ModelActor.ExportOptimizerState(state.getRef()));
      OptimizerState s =
          assertInstanceOf(OptimizerStateExported.class, state.receiveMessage(WAIT)).state();
      assertEquals(3, s.step());
      TestProbe<ImportResult> imported = kit.createTestProbe();
      fresh.tell(new ModelActor.ImportOptimizerState(s, imported.getRef()));
      assertInstanceOf(Imported.class, imported.receiveMessage(WAIT));

      // The same next step on both: the same weights, bit for bit.
      Batch next = data.batch(48, 16, 3);
      assertEquals(step(trained, next, 1).loss(), step(fresh, next, 1).loss());
      assertEquals(export(trained), export(fresh));
    } finally {
      kit.stop(trained);
      kit.stop(fresh);
    }
  }

  @Test
  void importChecksNamesAndShapesAndWritesNothingOnAMismatch() {
    ActorRef<Command> model = spawn(sgdMlp(4));
    try {
      Map<String, HostTensor> before = export(model);
      Map<String, HostTensor> wrong = new HashMap<>(before);
      wrong.put("fc2.weight", HostTensor.ofFloats(new int[] {3, 31}, new float[93]));
      ImportFailed f = assertInstanceOf(ImportFailed.class, importWeights(model, wrong));
      String m = f.cause().getMessage();
      assertTrue(m.contains("fc2.weight") && m.contains("[3, 32]") && m.contains("[3, 31]"), m);

      Map<String, HostTensor> missing = new HashMap<>(before);
      missing.remove("fc1.bias");
      missing.put("fc3.bias", before.get("fc2.bias"));
      m = assertInstanceOf(ImportFailed.class, importWeights(model, missing)).cause().getMessage();
      assertTrue(m.contains("fc1.bias") && m.contains("fc3.bias"), m);

      assertEquals(before, export(model));
    } finally {
      kit.stop(model);
    }
  }

  @Test
  void stoppingFreesWhatTheActorOwnedEvenWithAStepInFlight() {
    ActorRef<Command> model = spawn(adamMlp(9));
    Blobs data = new Blobs(9, 64);
    step(model, data.batch(0, 32, 0), 1);
    assertTrue(gpu.memory(CPU0).used() > 0);
    assertTrue(
        gpu.memory(CPU0).byOwner().keySet().stream().anyMatch(o -> o.endsWith(model.path().name())),
        () -> "owners " + gpu.memory(CPU0).byOwner());
    TestProbe<StepResult> replies = kit.createTestProbe();
    model.tell(new ModelActor.TrainStep(data.batch(32, 32, 1), 1, replies.getRef()));
    kit.stop(model);
    // everyActorFreedItsMemory checks that the accounted memory returns to 0.
  }
}
