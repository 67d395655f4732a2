package io.zbmd.serving;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.metrics.ZbmdMetrics;
import io.zbmd.serving.internal.InferenceRoutes;
import io.zbmd.serving.internal.ModelInstances;
import io.zbmd.serving.internal.ModelMetrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * An Open Inference Protocol (KServe v2 REST) server for {@link ServedModel}s, with a {@link
 * Batcher} per model instance, on pekko-http. It stops through the system's CoordinatedShutdown:
 * readiness turns 503 and new requests are refused, every accepted request is answered, the port
 * closes, then the models are freed.
 *
 * <pre>{@code
 * InferenceServer server = InferenceServer.start(system, List.of(mnist),
 *     ServingSettings.fromConfig(system.settings().config())).toCompletableFuture().get();
 * System.out.println("serving on " + server.address());
 * }</pre>
 */
public final class InferenceServer {
  private final ServerBinding binding;
  private final InferenceRoutes routes;
  private final List<ModelInstances> models;
  private final ServingSettings settings;
  private final CompletableFuture<Done> stopped = new CompletableFuture<>();

  private InferenceServer(
      ServerBinding binding, InferenceRoutes routes, List<ModelInstances> models, ServingSettings settings) {
    this.binding = binding;
    this.routes = routes;
    this.models = models;
    this.settings = settings;
  }

  /** Starts batchers for every instance of {@code served} and binds {@code settings}' address. */
  public static CompletionStage<InferenceServer> start(
      ActorSystem<?> system, List<ServedModel> served, ServingSettings settings) {
    ZbmdMetrics metrics = ZbmdMetrics.get(system);
    Map<String, ModelInstances> byName = new LinkedHashMap<>();
    List<ModelInstances> all = new ArrayList<>();
    for (ServedModel model : served) {
      if (byName.containsKey(model.name())) {
        throw new IllegalArgumentException("model " + model.name() + " is served twice");
      }
      ServingSettings.Batching batching = model.batching() != null ? model.batching() : settings.batching();
      ModelMetrics mm = new ModelMetrics(metrics, model.name());
      List<Predictor> predictors = new ArrayList<>();
      List<ActorRef<Batcher.Command>> batchers = new ArrayList<>();
      for (int i = 0; i < batching.instances(); i++) {
        Predictor p = model.instances().get();
        predictors.add(p);
        batchers.add(
            system.systemActorOf(
                Batcher.create(p, batching, mm), "zbmd-batcher-" + model.name() + "-" + i, Props.empty()));
      }
      ModelInstances mi = new ModelInstances(model, batching, List.copyOf(batchers), List.copyOf(predictors), mm, new AtomicInteger());
      byName.put(model.name(), mi);
      all.add(mi);
    }
    String version = InferenceServer.class.getPackage().getImplementationVersion();
    InferenceRoutes routes =
        new InferenceRoutes(system, settings, Map.copyOf(byName), metrics::scrapeData,
            version == null ? "dev" : version);
    // The body limit is enforced per request (a clear 400); the server's own limits sit above it.
    // Timeouts are the batcher's (per request) and body-read-timeout, so pekko-http's 503 on
    // request-timeout never answers in their place.
    Config http =
        ConfigFactory.parseMap(
                Map.of(
                    "pekko.http.server.parsing.max-content-length", Long.toString(settings.maxBodyBytes() + 1),
                    "pekko.http.server.request-timeout", "infinite",
                    "pekko.http.server.parsing.max-to-strict-bytes", Long.toString(settings.maxBodyBytes() + 1)))
            .withFallback(system.settings().config());
    return Http.get(system)
        .newServerAt(settings.host(), settings.port())
        .withSettings(ServerSettings.create(http))
        .bind(routes::handle)
        .thenApply(
            binding -> {
              InferenceServer server = new InferenceServer(binding, routes, List.copyOf(all), settings);
              server.registerShutdown(system);
              return server;
            });
  }

  /** The bound address, with the real port when 0 was asked for. */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Completes once the server has stopped and its models are freed. */
  public CompletionStage<Done> whenStopped() {
    return stopped;
  }

  private void registerShutdown(ActorSystem<?> system) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    Duration timeout = settings.shutdownTimeout();
    cs.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "zbmd-serving-not-ready",
        () -> {
          routes.stopAccepting();
          CompletableFuture<Done> grace = new CompletableFuture<>();
          CompletableFuture.delayedExecutor(settings.readinessGrace().toNanos(), TimeUnit.NANOSECONDS)
              .execute(() -> grace.complete(Done.getInstance()));
          return grace;
        });
    cs.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "zbmd-serving-drain",
        () -> {
          List<CompletableFuture<Done>> drains = new ArrayList<>();
          for (ModelInstances m : models) {
            for (ActorRef<Batcher.Command> b : m.batchers()) {
              drains.add(
                  AskPattern.<Batcher.Command, Done>ask(b, Batcher.Drain::new, timeout, system.scheduler())
                      .toCompletableFuture());
            }
          }
          return CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new))
              .handle((v, e) -> Done.getInstance());
        });
    cs.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "zbmd-serving-unbind",
        // Waits for responses still being written; new connections are refused.
        () -> binding.terminate(timeout).thenApply(t -> Done.getInstance()));
    cs.addTask(
        CoordinatedShutdown.PhaseServiceStop(),
        "zbmd-serving-free-models",
        () -> {
          List<CompletableFuture<Void>> closes = new ArrayList<>();
          for (ModelInstances m : models) {
            m.batchers().forEach(b -> b.tell(Batcher.Stop.INSTANCE));
            for (Predictor p : m.predictors()) {
              closes.add(p.close().toCompletableFuture());
            }
          }
          return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new))
              .handle((v, e) -> {
                stopped.complete(Done.getInstance());
                return Done.getInstance();
              });
        });
  }
}
