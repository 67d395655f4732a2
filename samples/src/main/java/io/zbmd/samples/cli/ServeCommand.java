package io.zbmd.samples.cli;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.runtime.Zbmd;
import io.zbmd.serving.InferenceServer;
import io.zbmd.serving.ModelActorPredictor;
import io.zbmd.serving.Predictor;
import io.zbmd.serving.ServedModel;
import io.zbmd.serving.ServingSettings;
import io.zbmd.serving.TensorSpec;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zbmd serve}: loads {@code .safetensors} / {@code .pt} weights into model actors and serves
 * them over the Open Inference Protocol (KServe v2 REST) until interrupted (Ctrl-C or SIGTERM run
 * the graceful shutdown: not ready, every accepted request answered, models freed).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serves models over the Open Inference Protocol (KServe v2 REST), with dynamic batching.",
      "Example: zbmd serve --model mnist=weights.safetensors:mlp, then",
      "curl -H 'Content-Type: application/json' -d @request.json localhost:8000/v2/models/mnist/infer"
    })
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "NAME=FILE[:ARCH]",
      description = "A model to serve: its name, its weights (.safetensors or .pt, by PyTorch parameter name) and its architecture, mlp (default) or cnn. Repeatable.")
  List<String> models;

  @Option(names = "--port", description = "TCP port; 0 picks a free one. Default: zbmd.serving.port (8000).")
  Integer port;

  @Option(names = "--host", description = "Address to bind. Default: zbmd.serving.host (127.0.0.1).")
  String host;

  @Option(names = "--backend", description = "Device: a backend (cpu) or a device (cpu:0). Default: the first healthy device.")
  String backend;

  @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
  boolean verbose;

  /** Completes with the bound address once the server serves (for tests and the banner). */
  final CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();

  /** Completing it stops the server as Ctrl-C would (for tests). */
  final CompletableFuture<Void> stop = new CompletableFuture<>();

  private record ModelArg(String name, Path file, String arch) {}

  @Override
  public Integer call() throws Exception {
    List<ModelArg> args;
    try {
      args = parse(models);
    } catch (IllegalArgumentException e) {
      return fail(e);
    }
    ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "zbmd-serve");
    try {
      ServingSettings config = ServingSettings.fromConfig(system.settings().config());
      ServingSettings settings =
          config.withAddress(host != null ? host : config.host(), port != null ? port : config.port());
      GpuExtension gpu = GpuExtension.get(system);
      DeviceId device =
          backend == null
              ? gpu.defaultDevice().id()
              : DeviceId.parse(backend.contains(":") ? backend : backend + ":0");
      List<ServedModel> served = new ArrayList<>();
      for (ModelArg m : args) {
        Map<String, HostTensor> weights = ModelWeights.read(m.file());
        ModelSpec spec = ModelSpec.inference(ModelWeights.network(m.arch(), weights, m.file()));
        List<Predictor> instances = new ArrayList<>();
        for (int i = 0; i < settings.batching().instances(); i++) {
          try {
            instances.add(
                ModelActorPredictor.load(system, spec, device, weights, m.name() + "-" + i)
                    .toCompletableFuture()
                    .get(2, TimeUnit.MINUTES));
          } catch (ExecutionException e) {
            throw new IllegalArgumentException(m.file() + ": " + e.getCause().getMessage(), e.getCause());
          }
        }
        Iterator<Predictor> next = instances.iterator();
        served.add(
            new ServedModel(
                m.name(), "1", "zbmd-" + m.arch(),
                new TensorSpec("input", "FP32", new int[] {784}),
                new TensorSpec("logits", "FP32", new int[] {10}),
                next::next, null));
      }
      InferenceServer server =
          InferenceServer.start(system, served, settings).toCompletableFuture().get(30, TimeUnit.SECONDS);
      InetSocketAddress address = server.address();
      for (ModelArg m : args) {
        System.out.printf("serving %s (%s, %s) at http://%s:%d/v2/models/%s/infer%n",
            m.name(), m.arch(), m.file(), settings.host(), address.getPort(), m.name());
      }
      System.out.printf("metrics at http://%s:%d/metrics; Ctrl-C stops%n", settings.host(), address.getPort());
      System.out.flush();
      bound.complete(address);
      stop.thenRun(system::terminate);
      system.getWhenTerminated().toCompletableFuture().get();
      return 0;
    } catch (IllegalArgumentException | java.io.IOException e) {
      return fail(e);
    } catch (ExecutionException e) {
      return fail(e.getCause());
    } finally {
      bound.completeExceptionally(new IllegalStateException("the server did not start"));
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private int fail(Throwable e) {
    System.err.println("zbmd: error: " + e.getMessage());
    if (verbose) {
      e.printStackTrace();
    }
    return 2;
  }

  private static List<ModelArg> parse(List<String> specs) {
    List<ModelArg> out = new ArrayList<>();
    for (String s : specs) {
      int eq = s.indexOf('=');
      if (eq <= 0 || eq == s.length() - 1) {
        throw new IllegalArgumentException("--model " + s + " is not NAME=FILE[:ARCH]");
      }
      String name = s.substring(0, eq);
      String file = s.substring(eq + 1);
      String arch = "mlp";
      int colon = file.lastIndexOf(':');
      if (colon > 0) {
        arch = file.substring(colon + 1);
        file = file.substring(0, colon);
      }
      if (!arch.equals("mlp") && !arch.equals("cnn")) {
        throw new IllegalArgumentException("--model " + s + ": unknown architecture " + arch + " (mlp, cnn)");
      }
      if (!name.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException("--model " + s + ": the name must be letters, digits, '_', '.' or '-'");
      }
      if (out.stream().anyMatch(m -> m.name().equals(name))) {
        throw new IllegalArgumentException("--model " + name + " is given twice");
      }
      Path path = Path.of(file);
      if (!Files.isRegularFile(path)) {
        throw new IllegalArgumentException("--model " + s + ": no such file " + file);
      }
      out.add(new ModelArg(name, path, arch));
    }
    return out;
  }
}
