package io.zbmd.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** A real server on a free loopback port, and a real HTTP client for it. */
final class ServerFixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final ActorTestKit kit;
  final InferenceServer server;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String base;

  ServerFixture(String name, List<ServedModel> models, String extraConfig) throws Exception {
    Config config =
        ConfigFactory.parseString(extraConfig)
            .withFallback(ConfigFactory.parseString(
                "zbmd.serving.port = 0\nzbmd.metrics.tick-interval = 100ms\n"))
            .withFallback(ConfigFactory.load());
    kit = ActorTestKit.create(name, config);
    server =
        InferenceServer.start(kit.system(), models, ServingSettings.fromConfig(kit.system().settings().config()))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + server.address().getPort();
  }

  static ServingSettings.Batching batching(String extra) {
    return ServingSettings.fromConfig(
            ConfigFactory.parseString(extra.isEmpty() ? "" : "zbmd.serving.batching {" + extra + "}")
                .withFallback(ConfigFactory.load()))
        .batching();
  }

  HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(String method, String path, String contentType, String body)
      throws Exception {
    return sendAsync(method, path, contentType, body).get(20, TimeUnit.SECONDS);
  }

  CompletableFuture<HttpResponse<String>> sendAsync(
      String method, String path, String contentType, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .method(method, HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> infer(String model, String body) throws Exception {
    return send("POST", "/v2/models/" + model + "/infer", "application/json", body);
  }

  CompletableFuture<HttpResponse<String>> inferAsync(String model, String body) {
    return sendAsync("POST", "/v2/models/" + model + "/infer", "application/json", body);
  }

  /** A request of one or more rows of 4 values. */
  static String request(String id, float[][] rows) {
    StringBuilder data = new StringBuilder("[");
    for (int r = 0; r < rows.length; r++) {
      data.append(r == 0 ? "" : ",").append("[");
      for (int c = 0; c < rows[r].length; c++) {
        data.append(c == 0 ? "" : ",").append(rows[r][c]);
      }
      data.append("]");
    }
    data.append("]");
    return "{\"id\":\"" + id + "\",\"inputs\":[{\"name\":\"input\",\"shape\":[" + rows.length
        + ",4],\"datatype\":\"FP32\",\"data\":" + data + "}]}";
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
