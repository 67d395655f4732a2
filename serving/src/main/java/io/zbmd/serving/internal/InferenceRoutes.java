package io.zbmd.serving.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.serving.Batcher;
import io.zbmd.serving.ServedModel;
import io.zbmd.serving.ServingSettings;
import io.zbmd.serving.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol's REST routes, as one request handler: health, server and model
 * metadata, readiness, infer, and {@code /metrics}. Every error is {@code {"error": "..."}}.
 */
public final class InferenceRoutes {
  private static final Logger log = LoggerFactory.getLogger(InferenceRoutes.class);
  public static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final ContentType PROMETHEUS =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final ActorSystem<?> system;
  private final ServingSettings settings;
  private final Map<String, ModelInstances> models;
  private final Supplier<String> scrape;
  private final String version;
  private final Materializer materializer;
  private final AtomicBoolean ready = new AtomicBoolean(true);

  public InferenceRoutes(
      ActorSystem<?> system,
      ServingSettings settings,
      Map<String, ModelInstances> models,
      Supplier<String> scrape,
      String version) {
    this.system = system;
    this.settings = settings;
    this.models = models;
    this.scrape = scrape;
    this.version = version;
    this.materializer = Materializer.matFromSystem(system);
  }

  /** Readiness off: from now on readiness and infer answer 503. */
  public void stopAccepting() {
    ready.set(false);
  }

  /** Answers {@code request}; never fails. */
  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    try {
      return route(request)
          .exceptionally(
              e -> {
                Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (c instanceof BadRequestException b) {
                  return error(b.status(), b.getMessage());
                }
                log.error("bug answering {} {}", request.method().value(), request.getUri().path(), c);
                return error(500, "internal error: " + c);
              });
    } catch (BadRequestException b) {
      discard(request);
      return CompletableFuture.completedFuture(error(b.status(), b.getMessage()));
    } catch (RuntimeException e) {
      discard(request);
      log.error("bug answering {} {}", request.method().value(), request.getUri().path(), e);
      return CompletableFuture.completedFuture(error(500, "internal error: " + e));
    }
  }

  private CompletionStage<HttpResponse> route(HttpRequest request) {
    String path = request.getUri().path();
    String[] s = path.length() > 1 ? path.substring(1).split("/", -1) : new String[0];
    boolean get = request.method().equals(HttpMethods.GET) || request.method().equals(HttpMethods.HEAD);
    boolean post = request.method().equals(HttpMethods.POST);
    if (path.equals("/metrics")) {
      return get ? done(HttpResponse.create().withEntity(PROMETHEUS, scrape.get().getBytes(java.nio.charset.StandardCharsets.UTF_8))) : notAllowed(request, "GET");
    }
    if (s.length == 0 || !s[0].equals("v2")) {
      return notFound(request, path);
    }
    if (s.length == 1) {
      return get ? done(json(200, this::serverMetadata)) : notAllowed(request, "GET");
    }
    if (s.length == 3 && s[1].equals("health") && (s[2].equals("live") || s[2].equals("ready"))) {
      if (!get) {
        return notAllowed(request, "GET");
      }
      if (s[2].equals("live")) {
        return done(json(200, g -> g.writeBooleanField("live", true)));
      }
      return ready.get()
          ? done(json(200, g -> g.writeBooleanField("ready", true)))
          : done(unavailable("the server is shutting down"));
    }
    if (s.length < 3 || !s[1].equals("models")) {
      return notFound(request, path);
    }
    ModelInstances m = models.get(s[2]);
    int rest = 3;
    if (s.length >= 5 && s[3].equals("versions")) {
      if (m != null && !m.model().version().equals(s[4])) {
        discard(request);
        return done(error(404, "model " + s[2] + " has no version " + s[4] + " (it has " + m.model().version() + ")"));
      }
      rest = 5;
    }
    String action = s.length == rest ? "" : s.length == rest + 1 ? s[rest] : null;
    if (action == null || !(action.isEmpty() || action.equals("ready") || action.equals("infer"))) {
      return notFound(request, path);
    }
    if (m == null) {
      discard(request);
      return done(error(404, "unknown model " + s[2] + " (served: " + String.join(", ", models.keySet()) + ")"));
    }
    if (action.equals("infer")) {
      return post ? infer(request, m) : notAllowed(request, "POST");
    }
    if (!get) {
      return notAllowed(request, "GET");
    }
    if (action.equals("ready")) {
      return ready.get()
          ? done(json(200, g -> {
                g.writeStringField("name", m.model().name());
                g.writeBooleanField("ready", true);
              }))
          : done(unavailable("the server is shutting down"));
    }
    return done(json(200, g -> modelMetadata(g, m.model())));
  }

  private CompletionStage<HttpResponse> infer(HttpRequest request, ModelInstances m) {
    long start = System.nanoTime();
    if (!ready.get()) {
      discard(request);
      m.metrics().answered("unavailable", start);
      return done(unavailable("the server is shutting down"));
    }
    HttpEntity entity = request.entity();
    ContentType type = entity.getContentType();
    Optional<String> headerLength = request.getHeader(HEADER_LENGTH).map(h -> h.value());
    boolean jsonType = type.mediaType().equals(MediaTypes.APPLICATION_JSON);
    boolean binaryType = type.mediaType().equals(MediaTypes.APPLICATION_OCTET_STREAM);
    if (!(jsonType || (binaryType && headerLength.isPresent()))) {
      discard(request);
      m.metrics().answered("bad_request", start);
      return done(error(415, "Content-Type " + type + " is not application/json (or application/octet-stream with "
          + HEADER_LENGTH + ")"));
    }
    OptionalLong length = entity.getContentLengthOption();
    if (length.isPresent() && length.getAsLong() > settings.maxBodyBytes()) {
      discard(request);
      m.metrics().answered("bad_request", start);
      return done(tooLarge(length.getAsLong()));
    }
    return entity
        .withSizeLimit(settings.maxBodyBytes())
        .toStrict(settings.bodyReadTimeout().toMillis(), materializer)
        .handle(
            (strict, err) -> {
              if (err != null) {
                throw new BadRequestException(bodyError(err), bodyErrorMessage(err));
              }
              return strict.getData().toArray();
            })
        .thenCompose(body -> run(m, body, headerLength, start))
        .exceptionally(
            e -> {
              Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              if (c instanceof BadRequestException b) {
                m.metrics().answered("bad_request", start);
                return error(b.status(), b.getMessage());
              }
              m.metrics().answered("error", start);
              log.error("bug answering an infer request of model {}", m.model().name(), c);
              return error(500, "internal error: " + c);
            });
  }

  private CompletionStage<HttpResponse> run(
      ModelInstances m, byte[] body, Optional<String> headerLength, long start) {
    int jsonLength = body.length;
    if (headerLength.isPresent()) {
      try {
        jsonLength = Integer.parseInt(headerLength.get().trim());
      } catch (NumberFormatException e) {
        throw new BadRequestException(HEADER_LENGTH + " [" + headerLength.get() + "] is not a number");
      }
      if (jsonLength < 0 || jsonLength > body.length) {
        throw new BadRequestException(
            HEADER_LENGTH + " " + jsonLength + " is outside the body's " + body.length + " bytes");
      }
    }
    InferRequest r = InferJson.parse(body, jsonLength);
    long binary = InferCodec.binaryBytes(r);
    if (jsonLength + binary != body.length) {
      throw new BadRequestException(
          "the body has " + body.length + " bytes, the JSON header (" + jsonLength
              + ") and binary_data_size (" + binary + ") add up to " + (jsonLength + binary));
    }
    HostTensor rows = InferCodec.rows(r, m.model(), m.batching().maxBatchSize(), body, jsonLength);
    boolean binaryOut = InferCodec.binaryOutput(r, m.model());
    long timeout = m.batching().defaultTimeout().toNanos();
    if (r.timeoutMicros() >= 0) {
      timeout = Math.min(timeout, r.timeoutMicros() * 1000);
    }
    long deadline = System.nanoTime() + timeout;
    // The batcher answers every request itself (also at its deadline); the ask's own timeout only
    // guards against a bug, so it is generous.
    Duration askTimeout = Duration.ofNanos(timeout).plus(settings.shutdownTimeout());
    CompletionStage<Batcher.InferResult> result =
        AskPattern.ask(
            m.nextBatcher(),
            replyTo -> new Batcher.Infer(rows, deadline, replyTo),
            askTimeout,
            system.scheduler());
    return result.thenApply(res -> answer(m, r, res, binaryOut, start));
  }

  private HttpResponse answer(
      ModelInstances m, InferRequest r, Batcher.InferResult res, boolean binaryOut, long start) {
    if (res instanceof Batcher.Inferred ok) {
      InferCodec.Encoded e = InferCodec.response(m.model(), r.id(), ok.rows(), binaryOut);
      m.metrics().answered("success", start);
      if (e.binary() == null) {
        return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, e.json());
      }
      byte[] all = new byte[e.json().length + e.binary().length];
      System.arraycopy(e.json(), 0, all, 0, e.json().length);
      System.arraycopy(e.binary(), 0, all, e.json().length, e.binary().length);
      return HttpResponse.create()
          .addHeader(RawHeader.create(HEADER_LENGTH, Integer.toString(e.json().length)))
          .withEntity(ContentTypes.APPLICATION_OCTET_STREAM, all);
    }
    if (res instanceof Batcher.Rejected rej) {
      m.metrics().answered(
          switch (rej.reason()) {
            case QUEUE_FULL -> "queue_full";
            case TIMED_OUT -> "timeout";
            case SHUTTING_DOWN -> "unavailable";
          },
          start);
      return unavailable("model " + m.model().name() + ": " + rej.message());
    }
    Throwable cause = ((Batcher.InferFailed) res).cause();
    m.metrics().answered("error", start);
    log.warn("model {} failed a batch", m.model().name(), cause);
    return error(500, "model " + m.model().name() + " failed: " + cause);
  }

  private static int bodyError(Throwable err) {
    Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    return c instanceof TimeoutException ? 408 : 400;
  }

  private String bodyErrorMessage(Throwable err) {
    Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (c instanceof EntityStreamSizeException) {
      return "the request body exceeds the limit of " + settings.maxBodyBytes() + " bytes (zbmd.serving.max-body-size)";
    }
    if (c instanceof TimeoutException) {
      return "the request body did not arrive within " + settings.bodyReadTimeout().toMillis() + " ms";
    }
    return "the request body could not be read: " + c.getMessage();
  }

  private HttpResponse tooLarge(long length) {
    return error(400, "the request body of " + length + " bytes exceeds the limit of "
        + settings.maxBodyBytes() + " bytes (zbmd.serving.max-body-size)");
  }

  private void serverMetadata(JsonGenerator g) throws IOException {
    g.writeStringField("name", "zbmd");
    g.writeStringField("version", version);
    g.writeArrayFieldStart("extensions");
    g.writeString("binary_tensor_data");
    g.writeEndArray();
  }

  private static void modelMetadata(JsonGenerator g, ServedModel model) throws IOException {
    g.writeStringField("name", model.name());
    g.writeArrayFieldStart("versions");
    g.writeString(model.version());
    g.writeEndArray();
    g.writeStringField("platform", model.platform());
    tensors(g, "inputs", model.input());
    tensors(g, "outputs", model.output());
  }

  private static void tensors(JsonGenerator g, String field, TensorSpec t) throws IOException {
    g.writeArrayFieldStart(field);
    g.writeStartObject();
    g.writeStringField("name", t.name());
    g.writeStringField("datatype", t.datatype());
    g.writeArrayFieldStart("shape");
    for (int d : t.batchShape(-1)) {
      g.writeNumber(d);
    }
    g.writeEndArray();
    g.writeEndObject();
    g.writeEndArray();
  }

  private CompletionStage<HttpResponse> notFound(HttpRequest request, String path) {
    discard(request);
    return done(error(404, "no such path " + path));
  }

  private CompletionStage<HttpResponse> notAllowed(HttpRequest request, String allowed) {
    discard(request);
    return done(
        error(405, request.method().value() + " is not allowed on " + request.getUri().path() + " (use " + allowed + ")")
            .addHeader(RawHeader.create("Allow", allowed)));
  }

  private void discard(HttpRequest request) {
    request.discardEntityBytes(materializer);
  }

  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static HttpResponse json(int status, Fields fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = InferJson.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, out.toByteArray());
  }

  static HttpResponse error(int status, String message) {
    return json(status, g -> g.writeStringField("error", message));
  }

  private static HttpResponse unavailable(String message) {
    return error(503, message).addHeader(RawHeader.create("Retry-After", "1"));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }
}
