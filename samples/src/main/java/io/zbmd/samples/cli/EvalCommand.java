package io.zbmd.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.ModelActor;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.MnistDataset;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.CrossEntropyLoss;
import io.zbmd.ml.optim.SGD;
import io.zbmd.runtime.Zbmd;
import io.zbmd.samples.mnist.BundledMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zbmd eval}: loads weights ({@code .pt} or {@code .safetensors}, e.g. trained by PyTorch)
 * into the {@code mlp} or {@code cnn} model and reports the test loss and accuracy.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Loads weights (.pt or .safetensors, by PyTorch parameter name) into the mlp or cnn model",
      "and reports its loss and accuracy on the MNIST test set."
    })
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--model", description = "mlp (hidden size read from fc1.weight) or cnn. Default: ${DEFAULT-VALUE}.")
  String model = "mlp";

  @Option(names = "--weights", required = true,
      description = "A .pt or .safetensors state dict, or a zbmd checkpoint file (its weights).")
  Path weights;

  @Option(names = "--data", description = "Directory of MNIST IDX files (raw or .gz). Default: the bundled subset.")
  Path data;

  @Option(names = "--backend", description = "Device: a backend (cpu) or a device (cpu:0). Default: the first healthy device.")
  String backend;

  @Option(names = "--json", description = "Write loss, accuracy and samples to this JSON file.")
  Path json;

  @Override
  public Integer call() throws Exception {
    EvalOptionsCheck.check(this);
    Map<String, HostTensor> state = EvalOptionsCheck.weights(weights);
    int hidden = model.equals("mlp") ? EvalOptionsCheck.mlpHidden(weights, state) : 0;
    ModelSpec spec =
        ModelSpec.of(
            TrainCommand.network(model, hidden, 0),
            CrossEntropyLoss::new,
            (alloc, p) -> new SGD(alloc, p, SGD.Options.of(0.1)));
    MnistDataset mnist = data == null ? BundledMnist.load() : MnistDataset.read(data);
    Dataset test = mnist.test();

    CompletableFuture<Object> outcome = new CompletableFuture<>();
    Behavior<Object> guardian =
        Behaviors.setup(
            ctx -> {
              GpuExtension gpu = GpuExtension.get(ctx.getSystem());
              DeviceId device =
                  backend == null
                      ? gpu.defaultDevice().id()
                      : DeviceId.parse(backend.contains(":") ? backend : backend + ":0");
              ActorRef<ModelActor.Command> m = ModelActor.spawn(ctx, spec, device, "model");
              ActorRef<ModelActor.ImportResult> imports =
                  ctx.messageAdapter(ModelActor.ImportResult.class, r -> r);
              ActorRef<ModelActor.EvaluationResult> evals =
                  ctx.messageAdapter(ModelActor.EvaluationResult.class, r -> r);
              m.tell(new ModelActor.ImportWeights(state, imports));
              ctx.watch(m);
              return Behaviors.receive(Object.class)
                  .onSignal(
                      Terminated.class,
                      t -> {
                        outcome.complete(
                            new ModelActor.EvaluationFailed(
                                t instanceof ChildFailed f
                                    ? f.cause()
                                    : new IllegalStateException("the model actor stopped")));
                        return Behaviors.same();
                      })
                  .onAnyMessage(
                      msg -> {
                        if (msg instanceof ModelActor.Imported) {
                          m.tell(new ModelActor.Evaluate(test, 500, evals));
                        } else {
                          outcome.complete(msg);
                        }
                        return Behaviors.same();
                      })
                  .build();
            });
    ActorSystem<Object> system = Zbmd.create(guardian, "zbmd-eval");
    // The guardian itself fails on an unknown --backend: the system then ends without a reply.
    system.getWhenTerminated().thenRun(() -> outcome.complete(
        new ModelActor.EvaluationFailed(new IllegalStateException("the actor system stopped; see the log"))));
    Object result;
    try {
      result = outcome.get();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (result instanceof ModelActor.ImportFailed f) {
      System.err.println(weights + ": " + f.cause().getMessage());
      return 1;
    }
    if (result instanceof ModelActor.EvaluationFailed f) {
      System.err.println("evaluation failed: " + f.cause());
      return 1;
    }
    ModelActor.Evaluated e = (ModelActor.Evaluated) result;
    System.out.printf(
        Locale.ROOT,
        "%s on %d test digits: loss %.4f, accuracy %.2f%%%n",
        weights,
        e.samples(),
        e.loss(),
        100 * e.accuracy());
    if (json != null) {
      Path parent = json.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", model);
      m.put("weights", weights.toString());
      m.put("test_loss", e.loss());
      m.put("test_accuracy", e.accuracy());
      m.put("samples", e.samples());
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), m);
    }
    return 0;
  }
}
