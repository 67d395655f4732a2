package io.zbmd.serving;

import static io.zbmd.serving.ServerFixture.json;
import static io.zbmd.serving.ServerFixture.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every endpoint of the Open Inference Protocol and every error status, over real HTTP. */
class ProtocolTest {
  static ServerFixture s;
  static final TestModel model = new TestModel();

  @BeforeAll
  static void start() throws Exception {
    s = new ServerFixture("protocol", List.of(model.served("toy", ServerFixture.batching("max-batch-size = 8"))),
        "zbmd.serving.max-body-size = 64KiB");
  }

  @AfterAll
  static void stop() {
    s.close();
  }

  @Test
  void healthAndMetadata() throws Exception {
    assertEquals(200, s.get("/v2/health/live").statusCode());
    assertEquals(true, json(s.get("/v2/health/live")).get("live").asBoolean());
    assertEquals(200, s.get("/v2/health/ready").statusCode());
    JsonNode server = json(s.get("/v2"));
    assertEquals("zbmd", server.get("name").asText());
    assertEquals("binary_tensor_data", server.get("extensions").get(0).asText());

    for (String path : List.of("/v2/models/toy", "/v2/models/toy/versions/1")) {
      HttpResponse<String> r = s.get(path);
      assertEquals(200, r.statusCode(), path);
      JsonNode m = json(r);
      assertEquals("toy", m.get("name").asText());
      assertEquals("1", m.get("versions").get(0).asText());
      JsonNode in = m.get("inputs").get(0);
      assertEquals("input", in.get("name").asText());
      assertEquals("FP32", in.get("datatype").asText());
      assertEquals("[-1,4]", in.get("shape").toString());
      assertEquals("[-1,2]", m.get("outputs").get(0).get("shape").toString());
    }
    assertEquals(200, s.get("/v2/models/toy/ready").statusCode());
    assertEquals(200, s.get("/v2/models/toy/versions/1/ready").statusCode());
  }

  @Test
  void notFoundAndWrongMethod() throws Exception {
    HttpResponse<String> unknown = s.get("/v2/models/nope");
    assertEquals(404, unknown.statusCode());
    assertTrue(json(unknown).get("error").asText().contains("unknown model nope"), unknown.body());
    assertEquals(404, s.get("/v2/models/toy/versions/7").statusCode());
    assertEquals(404, s.infer("nope", request("a", new float[][] {{1, 2, 3, 4}})).statusCode());
    assertEquals(404, s.get("/v2/models/toy/whatever").statusCode());
    assertEquals(404, s.get("/nothing").statusCode());

    HttpResponse<String> getInfer = s.get("/v2/models/toy/infer");
    assertEquals(405, getInfer.statusCode());
    assertEquals("POST", getInfer.headers().firstValue("Allow").orElse(""));
    assertTrue(json(getInfer).has("error"));
    assertEquals(405, s.send("POST", "/v2/health/ready", "application/json", "{}").statusCode());
    assertEquals(405, s.send("DELETE", "/v2/models/toy", null, "").statusCode());
  }

  @Test
  void inferFlatAndNestedEchoesIdAndSelectsOutputs() throws Exception {
    HttpResponse<String> nested = s.infer("toy", request("req-1", new float[][] {{1, 2, 3, 4}, {5, 6, 7, 8}}));
    assertEquals(200, nested.statusCode(), nested.body());
    JsonNode r = json(nested);
    assertEquals("toy", r.get("model_name").asText());
    assertEquals("req-1", r.get("id").asText());
    JsonNode out = r.get("outputs").get(0);
    assertEquals("output", out.get("name").asText());
    assertEquals("FP32", out.get("datatype").asText());
    assertEquals("[2,2]", out.get("shape").toString());
    assertEquals("[10.0,2.0,26.0,10.0]", out.get("data").toString());

    String flat = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,1,1,1.5]}],"
        + "\"outputs\":[{\"name\":\"output\"}]}";
    HttpResponse<String> f = s.send("POST", "/v2/models/toy/versions/1/infer", "application/json", flat);
    assertEquals(200, f.statusCode(), f.body());
    assertEquals("[4.5,2.0]", json(f).get("outputs").get(0).get("data").toString());
    assertTrue(!json(f).has("id"));
  }

  @Test
  void integerInputsConvertWhereExactOthersAreRefused() throws Exception {
    String uint8 = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"UINT8\",\"data\":[0,1,2,255]}]}";
    HttpResponse<String> ok = s.infer("toy", uint8);
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("[258.0,0.0]", json(ok).get("outputs").get(0).get("data").toString());

    assertBad(uint8.replace("255", "256"), "outside UINT8");
    assertBad(uint8.replace("255", "2.5"), "fractions");
    assertBad(uint8.replace("UINT8", "INT64"), "does not convert");
    assertBad(uint8.replace("UINT8", "FP64"), "does not convert");
    assertBad(uint8.replace("UINT8", "NOPE"), "unknown datatype");
  }

  @Test
  void badRequestsGet400WithTheProblemNamed() throws Exception {
    String good = request("x", new float[][] {{1, 2, 3, 4}});
    assertBad("{\"inputs\":[", "malformed JSON");
    assertBad("[]", "must be an object");
    assertBad("{}", "no \"inputs\"");
    assertBad(good.replace("[1,4]", "[1,5]"), "shape [1, 5]");
    assertBad(good.replace("[1,4]", "[2,4]"), "has 4 values, shape [2, 4] needs 8");
    assertBad(good.replace("\"input\"", "\"other\""), "no input other");
    assertBad(good.replace("1.0,", "\"a\","), "found a string");
    assertBad(good.replace("1.0,", "1e400,"), "out of range");
    assertBad(good.replace("1.0,", "NaN,"), "malformed JSON");
    assertBad(good.replace("}]}", "}],\"outputs\":[{\"name\":\"zzz\"}]}"), "no output zzz");
    assertBad("[".repeat(100_000), "limit");
    float[][] nine = new float[9][4];
    assertBad(request("big", nine), "max-batch-size 8");

    HttpResponse<String> huge = s.infer("toy", "{\"x\":\"" + "a".repeat(70 * 1024) + "\"}");
    assertEquals(400, huge.statusCode());
    assertTrue(json(huge).get("error").asText().contains("exceeds the limit of 65536 bytes"), huge.body());

    HttpResponse<String> text = s.send("POST", "/v2/models/toy/infer", "text/plain", good);
    assertEquals(415, text.statusCode());
    assertTrue(json(text).get("error").asText().contains("application/json"));
    assertEquals(200, s.infer("toy", good).statusCode());
  }

  @Test
  void binaryTensorDataInAndOut() throws Exception {
    String header = "{\"id\":\"b\",\"inputs\":[{\"name\":\"input\",\"shape\":[2,4],\"datatype\":\"FP32\","
        + "\"parameters\":{\"binary_data_size\":32}}],"
        + "\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":true}}]}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer body = ByteBuffer.allocate(h.length + 32).order(ByteOrder.LITTLE_ENDIAN);
    body.put(h);
    for (int i = 1; i <= 8; i++) {
      body.putFloat(i);
    }
    HttpResponse<byte[]> r = s.client.send(
        HttpRequest.newBuilder(URI.create(s.base + "/v2/models/toy/infer"))
            .header("Content-Type", "application/octet-stream")
            .header("Inference-Header-Content-Length", Integer.toString(h.length))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.array()))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    int jsonLength = Integer.parseInt(r.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonNode meta = ServerFixture.JSON.readTree(new String(r.body(), 0, jsonLength, StandardCharsets.UTF_8));
    JsonNode out = meta.get("outputs").get(0);
    assertEquals(16, out.get("parameters").get("binary_data_size").asInt());
    assertTrue(!out.has("data"));
    ByteBuffer values = ByteBuffer.wrap(r.body(), jsonLength, 16).order(ByteOrder.LITTLE_ENDIAN);
    float[] got = new float[4];
    values.asFloatBuffer().get(got);
    assertArrayEquals(new float[] {10, 2, 26, 10}, got);

    // A body shorter than its header announces.
    HttpResponse<String> shortBody = s.client.send(
        HttpRequest.newBuilder(URI.create(s.base + "/v2/models/toy/infer"))
            .header("Content-Type", "application/octet-stream")
            .header("Inference-Header-Content-Length", Integer.toString(h.length))
            .POST(HttpRequest.BodyPublishers.ofByteArray(java.util.Arrays.copyOf(body.array(), h.length + 8)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, shortBody.statusCode());
    assertTrue(json(shortBody).get("error").asText().contains("add up to"), shortBody.body());
  }

  @Test
  void metricsAreScrapedInPrometheusFormat() throws Exception {
    s.infer("toy", request("m", new float[][] {{1, 2, 3, 4}}));
    s.infer("toy", "{");
    long until = System.nanoTime() + 10_000_000_000L;
    String text = "";
    while (System.nanoTime() < until) {
      HttpResponse<String> r = s.get("/metrics");
      assertEquals(200, r.statusCode());
      text = r.body();
      if (text.contains("outcome=\"bad_request\"") && text.contains("zbmd_inference_batch_size_bucket")) {
        break;
      }
      Thread.sleep(100);
    }
    assertTrue(text.matches("(?s).*zbmd_inference_requests_total\\{[^}]*model=\"toy\"[^}]*outcome=\"success\"[^}]*} [1-9].*")
        || text.matches("(?s).*zbmd_inference_requests_total\\{[^}]*outcome=\"success\"[^}]*model=\"toy\"[^}]*} [1-9].*"), text);
    assertTrue(text.contains("outcome=\"bad_request\""), text);
    assertTrue(text.contains("zbmd_inference_request_duration_seconds_bucket"), text);
    assertTrue(text.contains("zbmd_inference_queue_duration_seconds_bucket"), text);
    assertTrue(text.contains("zbmd_inference_batch_size_bucket"), text);
    assertTrue(text.contains("zbmd_inference_queue_depth"), text);
  }

  private static void assertBad(String body, String expected) throws Exception {
    HttpResponse<String> r = s.infer("toy", body);
    assertEquals(400, r.statusCode(), body.length() > 200 ? body.substring(0, 200) : body);
    String error = json(r).get("error").asText();
    assertTrue(error.contains(expected), "[" + error + "] should mention [" + expected + "]");
  }
}
