package io.zbmd.ml.actor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.LayerActor.Computed;
import io.zbmd.ml.actor.LayerActor.Output;
import io.zbmd.ml.actor.LayerActor.ParametersShared;
import io.zbmd.ml.actor.LayerActor.SharedParameter;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.nn.Linear;
import io.zbmd.ml.nn.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.SGD;
import io.zbmd.runtime.Zbmd;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A network as a chain of layer actors with an optimizer actor: one step by messages gives the
 * weights a {@link ModelActor} gets from the same step in one work.
 */
class LayerActorTest {
  private static final DeviceId CPU0 = DeviceId.parse("cpu:0");
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final SGD.Options SGD_OPTIONS = SGD.Options.of(0.1);
  private static ActorTestKit kit;
  private static GpuExtension gpu;

  @BeforeAll
  static void start() {
    kit =
        ActorTestKit.create(
            "layer-actor", Zbmd.config(ConfigFactory.parseString("zbmd.gpu.backends = [cpu]")));
    gpu = GpuExtension.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Linear fc1(io.zbmd.gpu.Ops ops, io.zbmd.ml.tensor.Allocator alloc) {
    return new Linear(ops, alloc, Blobs.FEATURES, 16, new SplittableRandom(1));
  }

  private static Linear fc2(io.zbmd.gpu.Ops ops, io.zbmd.ml.tensor.Allocator alloc) {
    return new Linear(ops, alloc, 16, Blobs.CLASSES, new SplittableRandom(2));
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The values of {@code t}; its reference is given back. */
  private static float[] read(SharedTensor t) {
    return await(
        gpu.stream(CPU0)
            .submit(
                ops -> {
                  float[] v = new float[(int) io.zbmd.ml.tensor.Tensor.numel(t.shape())];
                  ops.copyToHost(t.buffer(), 0, v, 0, v.length);
                  return v;
                })
            .whenComplete((v, e) -> t.release()));
  }

  private static SharedTensor upload(float[] values, int... shape) {
    DeviceBuffer b = gpu.allocate(CPU0, DType.FLOAT32, values.length, "layer-actor-test");
    await(
        gpu.stream(CPU0)
            .submit(
                ops -> {
                  ops.copyFromHost(values, 0, b, 0, values.length);
                  return null;
                }));
    return new SharedTensor(b, shape);
  }

  private static SharedTensor forward(ActorRef<LayerActor.Command> layer, SharedTensor x) {
    TestProbe<Output> probe = kit.createTestProbe();
    layer.tell(new LayerActor.Forward(x, true, probe.getRef()));
    return assertInstanceOf(Computed.class, probe.receiveMessage(WAIT)).tensor();
  }

  private static SharedTensor backward(
      ActorRef<LayerActor.Command> layer, SharedTensor dy, boolean inputGrad) {
    TestProbe<Output> probe = kit.createTestProbe();
    layer.tell(new LayerActor.Backward(dy, inputGrad, probe.getRef()));
    return assertInstanceOf(Computed.class, probe.receiveMessage(WAIT)).tensor();
  }

  private static Map<String, SharedParameter> share(
      ActorRef<LayerActor.Command> layer, String prefix, Map<String, SharedParameter> into) {
    TestProbe<ParametersShared> probe = kit.createTestProbe();
    layer.tell(new LayerActor.ShareParameters(probe.getRef()));
    probe.receiveMessage(WAIT).parameters().forEach((k, v) -> into.put(prefix + k, v));
    return into;
  }

  @Test
  void aStepThroughLayerActorsMatchesTheModelActorsStep() {
    Batch batch = new Blobs(4, 8).batch(0, 8, 0);

    ActorRef<ModelActor.Command> model =
        kit.spawn(
            ModelActor.create(
                ModelSpec.of(
                    (ops, alloc) ->
                        Sequential.builder()
                            .add("fc1", fc1(ops, alloc))
                            .add("relu", new ReLU(alloc))
                            .add("fc2", fc2(ops, alloc))
                            .build(),
                    CrossEntropyLoss::new,
                    (alloc, p) -> new SGD(alloc, p, SGD_OPTIONS)),
                CPU0),
            "model",
            gpu.props(CPU0));
    TestProbe<ModelActor.StepResult> stepped = kit.createTestProbe();
    model.tell(new ModelActor.TrainStep(batch, 1, stepped.getRef()));
    assertInstanceOf(ModelActor.StepCompleted.class, stepped.receiveMessage(WAIT));
    TestProbe<ModelActor.WeightsResult> exported = kit.createTestProbe();
    model.tell(new ModelActor.ExportWeights(exported.getRef()));
    Map<String, HostTensor> expected =
        assertInstanceOf(ModelActor.WeightsExported.class, exported.receiveMessage(WAIT))
            .weights();

    ActorRef<LayerActor.Command> l1 =
        kit.spawn(LayerActor.create(LayerActorTest::fc1, CPU0), "fc1", gpu.props(CPU0));
    ActorRef<LayerActor.Command> relu =
        kit.spawn(LayerActor.create((ops, a) -> new ReLU(a), CPU0), "relu", gpu.props(CPU0));
    ActorRef<LayerActor.Command> l2 =
        kit.spawn(LayerActor.create(LayerActorTest::fc2, CPU0), "fc2", gpu.props(CPU0));
    Map<String, SharedParameter> params =
        share(l2, "fc2.", share(l1, "fc1.", new LinkedHashMap<>()));
    ActorRef<OptimizerActor.Command> sgd =
        kit.spawn(
            OptimizerActor.create(CPU0, (alloc, p) -> new SGD(alloc, p, SGD_OPTIONS), params),
            "sgd",
            gpu.props(CPU0));
    TestProbe<OptimizerActor.Result> opt = kit.createTestProbe();
    sgd.tell(new OptimizerActor.ZeroGrad(opt.getRef()));
    assertEquals(OptimizerActor.GradientsZeroed.INSTANCE, opt.receiveMessage(WAIT));

    SharedTensor x = upload(batch.images(), batch.size(), Blobs.FEATURES);
    float[] logits = read(forward(l2, forward(relu, forward(l1, x))));
    // Cross-entropy's gradient, on the host: (softmax - onehot) / N.
    int n = batch.size();
    int c = Blobs.CLASSES;
    float[] dlogits = new float[n * c];
    for (int i = 0; i < n; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, logits[i * c + j]);
      }
      double sum = 0;
      for (int j = 0; j < c; j++) {
        sum += Math.exp(logits[i * c + j] - max);
      }
      for (int j = 0; j < c; j++) {
        double p = Math.exp(logits[i * c + j] - max) / sum;
        dlogits[i * c + j] = (float) ((p - (batch.labels()[i] == j ? 1 : 0)) / n);
      }
    }
    SharedTensor g = backward(l2, upload(dlogits, n, c), true);
    assertNull(backward(l1, backward(relu, g, true), false));
    sgd.tell(new OptimizerActor.Step(opt.getRef()));
    assertEquals(new OptimizerActor.Stepped(1), opt.receiveMessage(WAIT));

    Map<String, SharedParameter> after =
        share(l2, "fc2.", share(l1, "fc1.", new LinkedHashMap<>()));
    assertEquals(expected.keySet(), after.keySet());
    for (Map.Entry<String, SharedParameter> e : after.entrySet()) {
      float[] actual = read(e.getValue().value());
      e.getValue().grad().release();
      assertArrayEquals(expected.get(e.getKey()).toFloats(), actual, 1e-6f, e.getKey());
    }

    kit.stop(model);
    kit.stop(sgd); // first: it holds references to the layers' parameters
    for (ActorRef<LayerActor.Command> l : java.util.List.of(l1, relu, l2)) {
      kit.stop(l);
    }
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        WAIT,
        () -> {
          assertEquals(0, gpu.memory(CPU0).used(), () -> "still held: " + gpu.memory(CPU0));
          return null;
        });
  }
}
