package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * How restore agents see each other while the API server is down: each serves its journal's
 * progress on the host network ({@code GET /} gives its node, role and finished steps), and
 * probes its peers' ({@link PeerProbe}).
 */
public final class RestoreStatusServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;

  private RestoreStatusServer(HttpServer server) {
    this.server = server;
  }

  /** Serves what {@code status} says, on {@code address}. */
  public static RestoreStatusServer start(InetSocketAddress address,
      Supplier<AgentStatus> status) {
    try {
      HttpServer server = HttpServer.create(address, 8);
      server.createContext("/", exchange -> {
        byte[] body = JSON.writeValueAsBytes(status.get());
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      return new RestoreStatusServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve restore status on " + address, e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
