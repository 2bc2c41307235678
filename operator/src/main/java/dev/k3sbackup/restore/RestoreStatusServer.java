package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * How restore agents see each other while the API server is down: each serves its journal's
 * progress on the host network ({@code GET /} gives its restore, node, role and finished steps),
 * and probes its peers' ({@link PeerProbe}). Only this restore's agents are answered
 * ({@link AgentAuth}): anything else gets 401 and no body. Several connections are served at
 * once, each answered from memory.
 */
public final class RestoreStatusServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService threads;

  private RestoreStatusServer(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /** Serves what {@code status} says to the holders of {@code auth}, on {@code address}. */
  public static RestoreStatusServer start(InetSocketAddress address, AgentAuth auth,
      Supplier<AgentStatus> status) {
    try {
      HttpServer server = HttpServer.create(address, 64);
      ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "restore-status");
        t.setDaemon(true);
        return t;
      });
      server.setExecutor(threads);
      server.createContext("/", exchange -> answer(exchange, auth, status));
      server.start();
      return new RestoreStatusServer(server, threads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve restore status on " + address, e);
    }
  }

  private static void answer(HttpExchange exchange, AgentAuth auth,
      Supplier<AgentStatus> status) throws IOException {
    try (exchange) {
      if (!auth.admits(exchange.getRequestHeaders().getFirst(AgentAuth.RESTORE_HEADER),
          exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      byte[] body = JSON.writeValueAsBytes(status.get().forRestore(auth.restoreId()));
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.getResponseHeaders().add(AgentAuth.SIGNATURE_HEADER, auth.sign(body));
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
