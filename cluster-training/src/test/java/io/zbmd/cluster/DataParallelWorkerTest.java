package io.zbmd.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.ModelActor;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Test (a) of the cluster-training issue, in one JVM: N replicas each given its share of a global
 * batch, all-reducing over a real loopback ring, take the same steps as one model given the whole
 * batch, and end with bit-identical weights among themselves.
 */
class DataParallelWorkerTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int FEATURES = 12;
  private static final int CLASSES = 3;
  private static final DataPlaneSettings RING =
      new DataPlaneSettings(1 << 12, 2, Duration.ofSeconds(20), Duration.ofSeconds(10));
  private static ActorTestKit kit;
  private static GpuExtension gpu;
  private static int spawned;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("data-parallel", Zbmd.config(ConfigFactory.parseString(
        // Small buckets: several all-reduces per step.
        "zbmd.gpu.backends = [cpu]\nzbmd.ml.model.gradient-bucket-cap = 1 KiB")));
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ModelSpec spec() {
    return ModelSpec.of((ops, alloc) -> {
      SplittableRandom rng = new SplittableRandom(42);
      return Sequential.builder()
          .add("fc1", new Linear(ops, alloc, FEATURES, 24, rng))
          .add("relu", new ReLU(alloc))
          .add("fc2", new Linear(ops, alloc, 24, CLASSES, rng))
          .build();
    }, CrossEntropyLoss::new, (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-2)));
  }

  private static ActorRef<ModelActor.Command> model() {
    return kit.spawn(ModelActor.create(spec(), CPU0), "model-" + (++spawned), gpu.props(CPU0));
  }

  @Test
  void threeReplicasWithUnequalSharesMatchOneModelOnTheWholeBatch() throws Exception {
    int replicas = 3;
    int global = 100; // shares of 34, 33, 33: the weighting by shard size matters
    ActorRef<ModelActor.Command> whole = model();
    List<ActorRef<ModelActor.Command>> models = new ArrayList<>();
    List<ActorRef<DataParallelWorker.Command>> workers = new ArrayList<>();
    LocalRing ring = LocalRing.form(replicas, RING);
    for (int r = 0; r < replicas; r++) {
      models.add(model());
      workers.add(kit.spawn(DataParallelWorker.create(models.get(r), ring.ranks.get(r), WAIT),
          "worker-" + r));
    }
    SplittableRandom data = new SplittableRandom(7);
    for (int step = 1; step <= 3; step++) {
      Batch batch = batch(data, global);
      TestProbe<ModelActor.StepResult> wholeReply = kit.createTestProbe();
      whole.tell(new ModelActor.TrainStep(batch, 1, wholeReply.getRef()));
      ModelActor.StepCompleted expected =
          assertInstanceOf(ModelActor.StepCompleted.class, wholeReply.receiveMessage(WAIT));

      List<Batch> shards = batch.split(replicas);
      List<TestProbe<DataParallelWorker.StepResult>> replies = new ArrayList<>();
      for (int r = 0; r < replicas; r++) {
        TestProbe<DataParallelWorker.StepResult> p = kit.createTestProbe();
        replies.add(p);
        workers.get(r).tell(new DataParallelWorker.Step(step, shards.get(r), 1, p.getRef()));
      }
      for (TestProbe<DataParallelWorker.StepResult> p : replies) {
        DataParallelWorker.StepDone done =
            assertInstanceOf(DataParallelWorker.StepDone.class, p.receiveMessage(WAIT));
        assertEquals(step, done.step());
        assertEquals(global, done.samples());
        assertEquals(step, done.modelSteps());
        assertEquals(expected.loss(), done.loss(), 1e-5, "the global batch's mean loss");
      }
    }
    Map<String, HostTensor> reference = weights(whole);
    Map<String, HostTensor> first = weights(models.get(0));
    for (ActorRef<ModelActor.Command> m : models) {
      Map<String, HostTensor> w = weights(m);
      reference.forEach((name, t) -> {
        float[] e = t.toFloats();
        float[] g = w.get(name).toFloats();
        for (int i = 0; i < e.length; i++) {
          assertEquals(e[i], g[i], 1e-5, name + "[" + i + "]");
        }
        assertArrayEquals(first.get(name).toFloats(), g, "replicas are bit-identical: " + name);
      });
    }
    workers.forEach(kit::stop);
    models.forEach(kit::stop);
    kit.stop(whole);
    ring.close();
  }

  @Test
  void aLostPeerAbortsTheStepAndLeavesTheWeightsAlone() throws Exception {
    LocalRing ring = LocalRing.form(2, RING);
    ActorRef<ModelActor.Command> m = model();
    ActorRef<DataParallelWorker.Command> worker =
        kit.spawn(DataParallelWorker.create(m, ring.ranks.get(0), WAIT), "lonely-worker");
    Map<String, HostTensor> before = weights(m);
    ring.ranks.get(1).close(); // the other replica is gone
    TestProbe<DataParallelWorker.StepResult> p = kit.createTestProbe();
    worker.tell(new DataParallelWorker.Step(1, batch(new SplittableRandom(1), 10), 1, p.getRef()));
    DataParallelWorker.StepAborted aborted =
        assertInstanceOf(DataParallelWorker.StepAborted.class, p.receiveMessage(WAIT));
    assertInstanceOf(PeerLostException.class, aborted.cause(), String.valueOf(aborted.cause()));
    Map<String, HostTensor> after = weights(m);
    before.forEach((name, t) -> assertArrayEquals(t.toFloats(), after.get(name).toFloats(), name));
    kit.stop(worker);
    kit.stop(m);
    ring.close();
  }

  private static Batch batch(SplittableRandom rnd, int n) {
    float[] x = new float[n * FEATURES];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(CLASSES);
      for (int j = 0; j < FEATURES; j++) {
        x[i * FEATURES + j] = (float) (rnd.nextDouble() - 0.5 + (j % CLASSES == y[i] ? 1 : 0));
      }
    }
    return Batch.of(x, y);
  }

  private static Map<String, HostTensor> weights(ActorRef<ModelActor.Command> model) {
    TestProbe<ModelActor.WeightsResult> p = kit.createTestProbe();
    model.tell(new ModelActor.ExportWeights(p.getRef()));
    return assertInstanceOf(ModelActor.WeightsExported.class, p.receiveMessage(WAIT)).weights();
  }
}
