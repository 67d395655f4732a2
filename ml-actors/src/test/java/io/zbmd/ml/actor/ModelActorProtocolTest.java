package io.zbmd.ml.actor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.ModelActor.Command;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.MSELoss;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.SGD;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What other modules build on: {@code Predict} with an inference-only model, gradients computed
 * on replicas, exchanged through their buckets and applied ({@code TrainStep}'s result, split in
 * two), a whole state out and in with one message each, and float targets for a regression.
 */
class ModelActorProtocolTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int HIDDEN = 16;
  private static ActorTestKit kit;
  private static GpuExtension gpu;
  private static int spawned;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("model-protocol", Zbmd.config(ConfigFactory.parseString(
        // Small buckets, so that the 4 parameters spread over several of them.
        "zbmd.gpu.backends = [cpu]\nzbmd.ml.model.gradient-bucket-cap = 600 B")));
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void everyActorFreedItsMemory() {
    kit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(0, gpu.memory(CPU0).used(), () -> "still held: " + gpu.memory(CPU0));
      return null;
    });
  }

  private static ModelSpec.ModelFactory network(long seed) {
    return (ops, alloc) -> {
      SplittableRandom rng = new SplittableRandom(seed);
      return Sequential.builder()
          .add("fc1", new Linear(ops, alloc, Blobs.FEATURES, HIDDEN, rng))
          .add("relu", new ReLU(alloc))
          .add("fc2", new Linear(ops, alloc, HIDDEN, Blobs.CLASSES, rng))
          .build();
    };
  }

  private static ModelSpec training(long seed) {
    return ModelSpec.of(network(seed), CrossEntropyLoss::new,
        (alloc, p) -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-2)));
  }

  private static ActorRef<Command> spawn(ModelSpec spec) {
    return kit.spawn(ModelActor.create(spec, CPU0), "model-" + (++spawned), gpu.props(CPU0));
  }

  private static <T> T ask(ActorRef<Command> model, java.util.function.Function<ActorRef<T>, Command> msg) {
    TestProbe<T> replies = kit.createTestProbe();
    model.tell(msg.apply(replies.getRef()));
    return replies.receiveMessage(WAIT);
  }

  private static Map<String, HostTensor> weights(ActorRef<Command> model) {
    ModelActor.WeightsResult r = ask(model, ModelActor.ExportWeights::new);
    return assertInstanceOf(ModelActor.WeightsExported.class, r).weights();
  }

  /** fc2(relu(fc1(x))) in double precision on the host, from exported weights. */
  private static double[] forward(Map<String, HostTensor> w, float[] x, int batch) {
    double[] h = affine(x, batch, Blobs.FEATURES, w.get("fc1.weight").toFloats(),
        w.get("fc1.bias").toFloats(), HIDDEN);
    float[] hf = new float[h.length];
    for (int i = 0; i < h.length; i++) {
      hf[i] = (float) Math.max(0, h[i]);
    }
    return affine(hf, batch, HIDDEN, w.get("fc2.weight").toFloats(),
        w.get("fc2.bias").toFloats(), Blobs.CLASSES);
  }

  private static double[] affine(float[] x, int batch, int in, float[] wt, float[] b, int out) {
    double[] y = new double[batch * out];
    for (int i = 0; i < batch; i++) {
      for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int k = 0; k < in; k++) {
          s += (double) x[i * in + k] * wt[o * in + k];
        }
        y[i * out + o] = s;
      }
    }
    return y;
  }

  @Test
  void anInferenceOnlyModelPredictsAnyBatchAsTheForwardPassDoes() {
    ActorRef<Command> model = spawn(ModelSpec.inference(network(5)));
    try {
      Map<String, HostTensor> w = weights(model);
      Blobs data = new Blobs(5, 64);
      for (int batch : new int[] {1, 7, 64}) {
        float[] x = java.util.Arrays.copyOf(data.x, batch * Blobs.FEATURES);
        ModelActor.PredictResult r = ModelActorProtocolTest.<ModelActor.PredictResult>ask(model, replyTo -> new ModelActor.Predict(
            HostTensor.ofFloats(new int[] {batch, Blobs.FEATURES}, x), replyTo));
        HostTensor out = assertInstanceOf(ModelActor.Predicted.class, r).output();
        assertArrayEquals(new int[] {batch, Blobs.CLASSES}, out.shape());
        double[] expected = forward(w, x, batch);
        float[] got = out.toFloats();
        for (int i = 0; i < got.length; i++) {
          assertEquals(expected[i], got[i], 1e-6, "batch " + batch + ", value " + i);
        }
      }
      // It has nothing to train with, and says so.
      ModelActor.StepResult step = ask(model,
          replyTo -> new ModelActor.TrainStep(data.batch(0, 8, 0), 1, replyTo));
      Throwable why = assertInstanceOf(ModelActor.StepFailed.class, step).cause();
      assertTrue(why.getMessage().contains("inference only"), why.getMessage());
      // A shape the network does not take is a failed prediction, and the actor goes on.
      ModelActor.PredictResult bad = ModelActorProtocolTest.<ModelActor.PredictResult>ask(model, replyTo -> new ModelActor.Predict(
          HostTensor.ofFloats(new int[] {2, 3}, new float[6]), replyTo));
      assertInstanceOf(ModelActor.PredictFailed.class, bad);
      assertInstanceOf(ModelActor.Predicted.class, ModelActorProtocolTest.<ModelActor.PredictResult>ask(model, replyTo -> new ModelActor.Predict(
          HostTensor.ofFloats(new int[] {1, Blobs.FEATURES}, new float[Blobs.FEATURES]),
          replyTo)));
    } finally {
      kit.stop(model);
    }
  }

  private static List<HostTensor> gradients(ActorRef<Command> model, Batch half) {
    ModelActor.GradientsResult computed =
        ModelActorProtocolTest.<ModelActor.GradientsResult>ask(model, replyTo -> new ModelActor.ComputeGradients(half, 1, replyTo));
    assertInstanceOf(ModelActor.GradientsComputed.class, computed);
    ModelActor.GradientsResult exported = ask(model, ModelActor.ExportGradients::new);
    return assertInstanceOf(ModelActor.GradientsExported.class, exported).buckets();
  }

  @Test
  void twoReplicasExchangingGradientBucketsTakeTheWholeBatchsStep() {
    ActorRef<Command> whole = spawn(training(9));
    ActorRef<Command> left = spawn(training(9));
    ActorRef<Command> right = spawn(training(9));
    try {
      Blobs data = new Blobs(9, 64 * 3);
      for (int s = 0; s < 3; s++) {
        Batch batch = data.batch(s * 64, 64, s);
        assertInstanceOf(ModelActor.StepCompleted.class,
            ModelActorProtocolTest.<ModelActor.StepResult>ask(whole, replyTo -> new ModelActor.TrainStep(batch, 1, replyTo)));
        List<HostTensor> a = gradients(left, data.batch(s * 64, 32, s));
        List<HostTensor> b = gradients(right, data.batch(s * 64 + 32, 32, s));
        // Reverse parameter order, 600-byte buckets, parameters 64-aligned: fc2.bias, fc2.weight
        // and fc1.bias (at 0, 64 and 128: 576 B) then fc1.weight alone.
        assertEquals(2, a.size());
        assertEquals(192, a.get(0).numel());
        assertEquals(192, a.get(1).numel());
        List<HostTensor> sum = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
          float[] x = a.get(i).toFloats();
          float[] y = b.get(i).toFloats();
          for (int j = 0; j < x.length; j++) {
            x[j] += y[j];
          }
          sum.add(HostTensor.ofFloats(a.get(i).shape(), x));
        }
        for (ActorRef<Command> replica : List.of(left, right)) {
          assertInstanceOf(ModelActor.Imported.class,
              ModelActorProtocolTest.<ModelActor.ImportResult>ask(replica, replyTo -> new ModelActor.ImportGradients(sum, replyTo)));
          // The sum of two halves' means, halved: the whole batch's mean.
          ModelActor.StepResult r = ModelActorProtocolTest.<ModelActor.StepResult>ask(replica, replyTo -> new ModelActor.ApplyGradients(0.5f, replyTo));
          assertEquals(s + 1, assertInstanceOf(ModelActor.StepCompleted.class, r).step());
        }
      }
      Map<String, HostTensor> expected = weights(whole);
      for (ActorRef<Command> replica : List.of(left, right)) {
        Map<String, HostTensor> got = weights(replica);
        expected.forEach((name, t) -> {
          float[] e = t.toFloats();
          float[] g = got.get(name).toFloats();
          for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], g[i], 1e-6, name + "[" + i + "]");
          }
        });
      }
      // Without fresh gradients there is nothing to apply.
      ModelActor.StepResult again = ModelActorProtocolTest.<ModelActor.StepResult>ask(left, replyTo -> new ModelActor.ApplyGradients(1f, replyTo));
      assertInstanceOf(ModelActor.StepFailed.class, again);
    } finally {
      kit.stop(whole);
      kit.stop(left);
      kit.stop(right);
    }
  }

  @Test
  void aWholeStateMovesInOneMessageEachWayAndTrainingGoesOnBitExactly() {
    ActorRef<Command> a = spawn(training(3));
    ActorRef<Command> b = spawn(training(4)); // other initial weights: all must be overwritten
    try {
      Blobs data = new Blobs(3, 32 * 6);
      for (int s = 0; s < 3; s++) {
        Batch batch = data.batch(s * 32, 32, s);
        ModelActorProtocolTest.<ModelActor.StepResult>ask(a, replyTo -> new ModelActor.TrainStep(batch, 1, replyTo));
      }
      ModelActor.StateResult exported = ask(a, ModelActor.ExportState::new);
      ModelState state = assertInstanceOf(ModelActor.StateExported.class, exported).state();
      assertEquals(3, state.steps());
      assertEquals(3, state.optimizer().step());
      assertInstanceOf(ModelActor.Imported.class,
          ModelActorProtocolTest.<ModelActor.ImportResult>ask(b, replyTo -> new ModelActor.ImportState(state, replyTo)));
      for (int s = 3; s < 6; s++) {
        Batch batch = data.batch(s * 32, 32, s);
        ModelActor.StepCompleted ra = assertInstanceOf(ModelActor.StepCompleted.class,
            ModelActorProtocolTest.<ModelActor.StepResult>ask(a, replyTo -> new ModelActor.TrainStep(batch, 1, replyTo)));
        ModelActor.StepCompleted rb = assertInstanceOf(ModelActor.StepCompleted.class,
            ModelActorProtocolTest.<ModelActor.StepResult>ask(b, replyTo -> new ModelActor.TrainStep(batch, 1, replyTo)));
        assertEquals(ra, rb);
      }
      assertEquals(weights(a), weights(b));
      // A state of another shape is refused whole.
      ModelActor.ImportResult refused = ModelActorProtocolTest.<ModelActor.ImportResult>ask(spawnedInference(), replyTo ->
          new ModelActor.ImportState(new ModelState(Map.of(), null, Map.of(), 0), replyTo));
      assertInstanceOf(ModelActor.ImportFailed.class, refused);
    } finally {
      kit.stop(a);
      kit.stop(b);
    }
  }

  private ActorRef<Command> inference;

  private ActorRef<Command> spawnedInference() {
    inference = spawn(ModelSpec.inference(network(1)));
    return inference;
  }

  @AfterEach
  void stopInference() {
    if (inference != null) {
      kit.stop(inference);
      inference = null;
    }
  }

  @Test
  void aRegressionTrainsOnFloatTargets() {
    ActorRef<Command> model = spawn(ModelSpec.of(
        (ops, alloc) -> new Linear(ops, alloc, 4, 2, new SplittableRandom(2)),
        MSELoss::new,
        (alloc, p) -> new SGD(alloc, p, SGD.Options.of(0.1))));
    try {
      SplittableRandom rnd = new SplittableRandom(8);
      int n = 32;
      float[] x = new float[n * 4];
      float[] y = new float[n * 2];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) {
          x[i * 4 + k] = (float) rnd.nextDouble(-1, 1);
        }
        y[i * 2] = x[i * 4] + 2 * x[i * 4 + 1];
        y[i * 2 + 1] = x[i * 4 + 2] - x[i * 4 + 3];
      }
      Batch batch = Batch.regression(x, y, n);
      float first = 0;
      float last = 0;
      for (int s = 0; s < 100; s++) {
        ModelActor.StepResult r = ModelActorProtocolTest.<ModelActor.StepResult>ask(model, replyTo -> new ModelActor.TrainStep(batch, 2, replyTo));
        last = assertInstanceOf(ModelActor.StepCompleted.class, r).loss();
        first = s == 0 ? last : first;
      }
      assertTrue(last < 0.01 * first, "MSE fell from " + first + " to " + last);
    } finally {
      kit.stop(model);
    }
  }
}
