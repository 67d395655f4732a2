package io.zbmd.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code zbmd serve} with the PyTorch-trained 784-128-10 MLP of the shared fixture: an infer
 * request over HTTP answers PyTorch's logits for the 16 test images (the logits {@code zbmd eval}'s
 * forward pass computes on those weights), from the .safetensors and from the .pt file.
 */
class ServeCommandTest {
  private static final Path FIXTURE = Path.of("../ml-actors/src/test/resources/fixtures/pytorch/mlp");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void servesPyTorchsLogitsForTheFixtureImages() throws Exception {
    JsonNode io = JSON.readTree(FIXTURE.resolve("mlp-io.json").toFile());
    ServeCommand serve = new ServeCommand();
    CommandLine cli = new CommandLine(serve);
    CompletableFuture<Integer> rc = CompletableFuture.supplyAsync(() -> cli.execute(
        "--model", "mnist=" + FIXTURE.resolve("mlp.safetensors") + ":mlp",
        "--model", "torch=" + FIXTURE.resolve("mlp.pt"),
        "--port", "0", "--backend", "cpu"));
    InetSocketAddress address = serve.bound.get(60, TimeUnit.SECONDS);
    HttpClient client = HttpClient.newHttpClient();
    try {
      JsonNode inputs = io.get("inputs");
      for (String model : new String[] {"mnist", "torch"}) {
        // Nested rows, as a client holding a [16, 784] array sends them.
        String body = "{\"id\":\"fixture\",\"inputs\":[{\"name\":\"input\",\"shape\":[" + inputs.size()
            + ",784],\"datatype\":\"FP32\",\"data\":" + inputs + "}]}";
        HttpResponse<String> r = client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/v2/models/" + model + "/infer"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode out = JSON.readTree(r.body()).get("outputs").get(0);
        assertEquals("logits", out.get("name").asText());
        assertEquals("[16,10]", out.get("shape").toString());
        JsonNode logits = io.get("logits");
        for (int i = 0; i < 16; i++) {
          int argmax = 0;
          for (int c = 0; c < 10; c++) {
            float got = out.get("data").get(i * 10 + c).floatValue();
            float want = logits.get(i).get(c).floatValue();
            assertEquals(want, got, 1e-4, model + " image " + i + " class " + c);
            if (got > out.get("data").get(i * 10 + argmax).floatValue()) {
              argmax = c;
            }
          }
          assertEquals(io.get("argmax").get(i).asInt(), argmax, model + " image " + i);
        }
      }
    } finally {
      serve.stop.complete(null);
    }
    assertEquals(0, rc.get(60, TimeUnit.SECONDS));
  }

  @Test
  void aBadModelArgumentIsOneErrorLineAndExit2() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true));
    try {
      int rc = ZbmdCli.commandLine().execute("serve", "--model", "mnist=/no/such.safetensors:mlp");
      assertEquals(2, rc);
      assertTrue(captured.toString().startsWith("zbmd: error: --model mnist=/no/such.safetensors:mlp: no such file"),
          captured.toString());
      rc = ZbmdCli.commandLine().execute("serve", "--model", "mnist=" + FIXTURE.resolve("mlp.pt") + ":rnn");
      assertEquals(2, rc);
    } finally {
      System.setErr(err);
    }
  }
}
