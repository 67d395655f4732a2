package io.zbmd.runtime.metrics.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Serves Prometheus scrape data over the JDK's built-in HTTP server ({@code
 * com.sun.net.httpserver}, the same server as Kamon's {@code impl = "sun"}, so no dependency is
 * added). zbmd serves it instead of Kamon because Kamon's server neither reveals the port it bound
 * (port 0 is unusable) nor sets the {@code Content-Type} that Prometheus 3 requires.
 */
final class PrometheusEndpoint {
  // The text exposition format; Prometheus 3 fails scrapes without a recognised Content-Type.
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;

  private PrometheusEndpoint(HttpServer server) {
    this.server = server;
  }

  /**
   * Binds {@code host:port} (0 picks a free port) and serves {@code scrapeData} at {@code path}.
   */
  static PrometheusEndpoint start(String host, int port, String path, Supplier<String> scrapeData)
      throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 0);
    // The context matches every path below `path` too; answer only the exact one.
    server.createContext(
        path,
        exchange -> {
          try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(path)) {
              exchange.sendResponseHeaders(404, -1);
            } else if (!exchange.getRequestMethod().equals("GET")
                && !exchange.getRequestMethod().equals("HEAD")) {
              exchange.sendResponseHeaders(405, -1);
            } else {
              respond(exchange, scrapeData.get());
            }
          }
        });
    // No executor: the server's single dispatcher thread answers, enough for a scraper or two.
    server.setExecutor(null);
    server.start();
    return new PrometheusEndpoint(server);
  }

  private static void respond(HttpExchange exchange, String data) throws IOException {
    byte[] body = data.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The address the server is bound to, with the actual port when 0 was asked for. */
  InetSocketAddress address() {
    return server.getAddress();
  }

  void stop() {
    server.stop(0);
  }
}
