package io.zbmd.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zbmd train --metrics-port P} in a JVM of its own: while it trains, Prometheus text over
 * real HTTP on 127.0.0.1 has the steps counter growing, the step-time histogram, the loss,
 * checkpoint timings and device memory.
 */
class TrainMetricsTest {
  private static final Pattern STEPS =
      Pattern.compile("(?m)^zbmd_training_steps_total\\{[^}]*} ([0-9.eE+]+)$");

  @TempDir Path dir;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void prometheusIsScrapedWhileTraining() throws Exception {
    int port = freePort();
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-XX:TieredStopAtLevel=1",
        // Published to the scrape text twice a second, so that the test sees the run move.
        "-Dzbmd.metrics.tick-interval=500ms",
        ZbmdCli.class.getName(),
        "train", "--backend", "cpu", "--epochs", "1000", "--limit", "500", "--hidden", "64",
        "--checkpoint-every", "10", "--data-dir", dir.resolve("data").toString(),
        "--metrics-port", String.valueOf(port)));
    Path log = dir.resolve("train.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest get =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
      double firstSteps = -1;
      String text = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline && p.isAlive()) {
        try {
          HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode());
          text = r.body();
          Matcher m = STEPS.matcher(text);
          if (m.find() && text.contains("zbmd_checkpoint_save_duration_seconds_count")) {
            double steps = Double.parseDouble(m.group(1));
            if (firstSteps < 0) {
              firstSteps = steps;
            } else if (steps > firstSteps) {
              break; // seen growing while the run goes on
            }
          }
        } catch (IOException notYet) {
          // the endpoint binds when the actor system starts
        }
        Thread.sleep(200);
      }
      String out = Files.readString(log);
      assertTrue(firstSteps >= 0, "no steps counter scraped; last scrape:\n" + text + "\n" + out);
      Matcher m = STEPS.matcher(text);
      assertTrue(m.find() && Double.parseDouble(m.group(1)) > firstSteps,
          "the steps counter did not grow while training:\n" + text);
      for (String series : List.of(
          "zbmd_training_samples_total",
          "zbmd_training_step_duration_seconds_bucket",
          "zbmd_training_step_duration_seconds_count",
          "zbmd_training_loss",
          "zbmd_checkpoint_save_duration_seconds_bucket",
          "zbmd_checkpoint_size_bytes",
          "zbmd_device_memory_used_bytes{",
          "device=\"cpu:0\"",
          "zbmd_actor_messages_total{",
          "actor_kind=\"model\"")) {
        assertTrue(text.contains(series), "no " + series + " in\n" + text);
      }
      assertTrue(out.contains("metrics on http://127.0.0.1:" + port + "/metrics"), out);
    } finally {
      p.destroyForcibly().waitFor();
    }
  }
}
