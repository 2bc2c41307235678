package dev.k3sbackup.monitoring;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's HTTP endpoints, on one port: {@code /metrics} (Prometheus text format),
 * {@code /healthz} (liveness) and {@code /readyz} (readiness). A probe answers 200 with "ok", or
 * 503 with the reason.
 */
public final class MetricsServer implements AutoCloseable {

  /** A probe's answer: healthy, or why not. */
  public record Check(boolean ok, String reason) {
    public static Check healthy() {
      return new Check(true, "ok");
    }

    public static Check failing(String reason) {
      return new Check(false, reason);
    }
  }

  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  private final HttpServer server;
  private final ExecutorService threads;

  private MetricsServer(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /**
   * Starts serving on {@code port} (0: any free port) on all addresses.
   *
   * @param scrape the metrics text, made fresh for each request
   */
  public static MetricsServer start(int port, Supplier<String> scrape, Supplier<Check> liveness,
      Supplier<Check> readiness) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("METRICS_PORT " + port + ": cannot listen (" + e.getMessage()
          + "); choose a free port", e);
    }
    ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "metrics-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/metrics", ex -> answer(ex, () -> new Answer(200, PROMETHEUS_TEXT,
        scrape.get())));
    server.createContext("/healthz", ex -> answer(ex, () -> probe(liveness.get())));
    server.createContext("/readyz", ex -> answer(ex, () -> probe(readiness.get())));
    server.start();
    LOG.info("serving /metrics, /healthz and /readyz on port {}", server.getAddress().getPort());
    return new MetricsServer(server, threads);
  }

  private record Answer(int code, String type, String body) {}

  private static Answer probe(Check check) {
    return new Answer(check.ok() ? 200 : 503, "text/plain; charset=utf-8", check.reason() + "\n");
  }

  private static void answer(HttpExchange ex, Supplier<Answer> answer) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      if (!ex.getRequestURI().getPath().equals(ex.getHttpContext().getPath())) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      Answer a;
      try {
        a = answer.get();
      } catch (RuntimeException e) {
        LOG.warn("{} failed: {}", ex.getRequestURI().getPath(), e.toString());
        a = new Answer(500, "text/plain; charset=utf-8", "error: " + e.getMessage() + "\n");
      }
      byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", a.type());
      boolean head = "HEAD".equals(ex.getRequestMethod());
      ex.sendResponseHeaders(a.code(), head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
