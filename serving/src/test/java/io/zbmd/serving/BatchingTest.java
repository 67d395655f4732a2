package io.zbmd.serving;

import static io.zbmd.serving.ServerFixture.json;
import static io.zbmd.serving.ServerFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The dynamic batcher behind a real server: own rows, bounded queue, timeouts, shutdown. */
class BatchingTest {

  @Test
  void concurrentCallersAreBatchedAndEachGetsItsOwnRows() throws Exception {
    TestModel model = new TestModel();
    try (ServerFixture s = new ServerFixture("own-rows",
        List.of(model.served("toy", ServerFixture.batching("max-batch-size = 16, max-queue-delay = 5ms"))), "")) {
      model.hold();
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      // Request i has i % 3 + 1 rows; row r of request i starts with 100 * i + r.
      for (int i = 0; i < 24; i++) {
        calls.add(s.inferAsync("toy", request("r" + i, rows(i))));
      }
      Thread.sleep(300);
      model.release();
      for (int i = 0; i < calls.size(); i++) {
        HttpResponse<String> r = calls.get(i).get(20, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("r" + i, body.get("id").asText());
        JsonNode data = body.get("outputs").get(0).get("data");
        float[][] mine = rows(i);
        assertEquals(mine.length * 2, data.size());
        for (int row = 0; row < mine.length; row++) {
          assertEquals(2 * mine[row][0], data.get(row * 2 + 1).floatValue(), "request " + i + " row " + row);
          assertEquals(mine[row][0] + 3, data.get(row * 2).floatValue(), "request " + i + " row " + row);
        }
      }
      int rowsTotal = 0;
      for (int i = 0; i < 24; i++) {
        rowsTotal += rows(i).length;
      }
      assertEquals(rowsTotal, model.batchSizes.stream().mapToInt(Integer::intValue).sum());
      assertTrue(model.batchSizes.stream().allMatch(n -> n <= 16), model.batchSizes.toString());
      assertTrue(model.batchSizes.size() < 24, "requests were joined: " + model.batchSizes);
    }
  }

  @Test
  void batchingOffRunsOneRequestPerBatch() throws Exception {
    TestModel model = new TestModel();
    try (ServerFixture s = new ServerFixture("no-batching",
        List.of(model.served("toy", ServerFixture.batching("enabled = off"))), "")) {
      model.hold();
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        calls.add(s.inferAsync("toy", request("r" + i, new float[][] {{i, 1, 1, 1}})));
      }
      Thread.sleep(200);
      model.release();
      for (CompletableFuture<HttpResponse<String>> c : calls) {
        assertEquals(200, c.get(20, TimeUnit.SECONDS).statusCode());
      }
      assertEquals(List.of(1, 1, 1, 1, 1, 1), model.batchSizes);
    }
  }

  @Test
  void aFullQueueAnswers503AtOnceAndATimeoutItsError() throws Exception {
    TestModel model = new TestModel();
    try (ServerFixture s = new ServerFixture("full-queue",
        List.of(model.served("toy", ServerFixture.batching("max-queue-size = 2, max-batch-size = 1"))), "")) {
      model.hold();
      CompletableFuture<HttpResponse<String>> running = s.inferAsync("toy", request("a", new float[][] {{1, 1, 1, 1}}));
      awaitBatches(model, 1);
      CompletableFuture<HttpResponse<String>> q1 = s.inferAsync("toy", request("b", new float[][] {{2, 1, 1, 1}}));
      // b waits 10 s at most; c asks for 200 ms only.
      CompletableFuture<HttpResponse<String>> q2 = s.inferAsync("toy",
          request("c", new float[][] {{3, 1, 1, 1}}).replace("{\"id\"", "{\"parameters\":{\"timeout\":200000},\"id\""));
      Thread.sleep(100);
      HttpResponse<String> full = s.infer("toy", request("d", new float[][] {{4, 1, 1, 1}}));
      assertEquals(503, full.statusCode());
      assertEquals("1", full.headers().firstValue("Retry-After").orElse(""));
      assertTrue(json(full).get("error").asText().contains("queue is full"), full.body());

      HttpResponse<String> timedOut = q2.get(10, TimeUnit.SECONDS);
      assertEquals(503, timedOut.statusCode());
      assertTrue(json(timedOut).get("error").asText().contains("timed out"), timedOut.body());
      model.release();
      assertEquals(200, running.get(10, TimeUnit.SECONDS).statusCode());
      assertEquals(200, q1.get(10, TimeUnit.SECONDS).statusCode());
    }
  }

  @Test
  void shutdownTurnsReadinessOffThenAnswersEveryAcceptedRequestThenFreesTheModel() throws Exception {
    TestModel model = new TestModel();
    ServerFixture s = new ServerFixture("shutdown",
        List.of(model.served("toy", ServerFixture.batching("max-batch-size = 2"))),
        "zbmd.serving.readiness-grace = 1s");
    model.hold();
    List<CompletableFuture<HttpResponse<String>>> accepted = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      accepted.add(s.inferAsync("toy", request("r" + i, new float[][] {{i, 0, 0, 0}})));
    }
    awaitBatches(model, 1);
    Thread.sleep(200);
    CompletableFuture<?> terminated = CompletableFuture.runAsync(s::close);
    long until = System.nanoTime() + 5_000_000_000L;
    int readiness = 200;
    while (readiness == 200 && System.nanoTime() < until) {
      readiness = s.get("/v2/health/ready").statusCode();
    }
    assertEquals(503, readiness);
    HttpResponse<String> late = s.infer("toy", request("late", new float[][] {{9, 0, 0, 0}}));
    assertEquals(503, late.statusCode());
    assertTrue(!model.closed.get());
    model.release();
    for (int i = 0; i < accepted.size(); i++) {
      HttpResponse<String> r = accepted.get(i).get(20, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(2f * i, json(r).get("outputs").get(0).get("data").get(1).floatValue());
    }
    terminated.get(30, TimeUnit.SECONDS);
    s.server.whenStopped().toCompletableFuture().get(1, TimeUnit.SECONDS);
    assertTrue(model.closed.get());
  }

  private static float[][] rows(int i) {
    float[][] rows = new float[i % 3 + 1][];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = new float[] {100 * i + r, 1, 1, 1};
    }
    return rows;
  }

  private static void awaitBatches(TestModel model, int n) throws InterruptedException {
    long until = System.nanoTime() + 10_000_000_000L;
    while (model.batchSizes.size() < n && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertTrue(model.batchSizes.size() >= n, "batches: " + model.batchSizes);
  }
}
