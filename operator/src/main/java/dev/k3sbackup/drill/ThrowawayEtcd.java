package dev.k3sbackup.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.k3sbackup.base.SnapshotException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcd member of a drill: serves a restored data dir on 127.0.0.1 only, on ports the kernel
 * just handed out (never K3s's 2379/2380/2381), and is read through etcd's own JSON gateway
 * ({@code /v3/kv/range} on the client URL, plain http on loopback). Nothing of K3s's is
 * touched: the data dir is the drill's own, the environment is cleared of {@code ETCD_*}.
 */
final class ThrowawayEtcd implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ThrowawayEtcd.class);
  /** The member's name in the restored data dir. */
  static final String MEMBER = "drill";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PAGE = 10_000;

  private final Path etcd;
  private final Path dataDir;
  private final Path log;
  private final int clientPort;
  private final int peerPort;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private Process process;

  /** Picks two free loopback ports for a member that will serve {@code dataDir}. */
  ThrowawayEtcd(Path etcd, Path dataDir, Path log) {
    this.etcd = etcd;
    this.dataDir = dataDir;
    this.log = log;
    this.clientPort = freePort();
    this.peerPort = freePort();
  }

  /** The peer URL the restored data dir must name (etcdutl's --initial-advertise-peer-urls). */
  String peerUrl() {
    return "http://127.0.0.1:" + peerPort;
  }

  String clientUrl() {
    return "http://127.0.0.1:" + clientPort;
  }

  /** The flags that make etcdutl restore a data dir this member can serve. */
  List<String> restoreFlags() {
    return List.of("--data-dir", dataDir.toString(), "--name", MEMBER, "--initial-cluster",
        MEMBER + "=" + peerUrl(), "--initial-advertise-peer-urls", peerUrl());
  }

  /**
   * Starts etcd on the data dir and waits until it answers a linearizable read.
   *
   * @throws SnapshotException when it exits or does not answer within {@code timeout}, with the
   *     end of its log
   */
  void start(Duration timeout) {
    List<String> command = List.of(etcd.toString(), "--name", MEMBER,
        "--data-dir", dataDir.toString(),
        "--listen-client-urls", clientUrl(), "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", peerUrl(), "--initial-advertise-peer-urls", peerUrl(),
        "--initial-cluster", MEMBER + "=" + peerUrl(),
        "--logger", "zap", "--log-outputs", "stderr");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_"));
    try {
      process = pb.start();
    } catch (IOException e) {
      throw SnapshotException.failed("cannot run " + etcd + " (" + e.getMessage() + "): a drill "
          + "needs etcd v3.6 (the image has it in /usr/local/bin; --etcd-bin-dir names another "
          + "dir)", e);
    }
    LOG.info("throwaway etcd started (pid {}) on {}, peer {}", process.pid(), clientUrl(),
        peerUrl());
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw SnapshotException.failed("the restored etcd exited " + process.exitValue()
            + " before serving: " + tail(), null);
      }
      try {
        range(request(new byte[] {0}, new byte[] {0}, false).put("count_only", true));
        return;
      } catch (IOException e) {
        last = e;
      }
      sleep(100);
    }
    throw SnapshotException.failed("the restored etcd did not answer a read within "
        + timeout.toSeconds() + " s (" + (last == null ? "" : last.getMessage()) + "): "
        + tail(), null);
  }

  /** What a linearizable read of the whole {@code prefix} found. */
  record Read(long revision, long count) {}

  /**
   * Reads every key under {@code prefix}: first a linearizable count (its revision is the
   * store's), then the keys page by page at that revision, each given to {@code keys}; the
   * pages must add up to the count.
   */
  Read readAll(String prefix, Consumer<String> keys) throws IOException {
    byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
    byte[] end = prefixEnd(start);
    JsonNode counted = range(request(start, end, false).put("count_only", true));
    long revision = counted.path("header").path("revision").asLong();
    long count = counted.path("count").asLong(0);
    long seen = 0;
    byte[] from = start;
    while (true) {
      ObjectNode page = request(from, end, true).put("keys_only", true).put("limit", PAGE)
          .put("revision", revision);
      JsonNode r = range(page);
      byte[] lastKey = null;
      for (JsonNode kv : r.path("kvs")) {
        lastKey = Base64.getDecoder().decode(kv.path("key").asText());
        keys.accept(new String(lastKey, StandardCharsets.UTF_8));
        seen++;
      }
      if (!r.path("more").asBoolean(false) || lastKey == null) {
        break;
      }
      from = java.util.Arrays.copyOf(lastKey, lastKey.length + 1); // the next key after it
    }
    if (seen != count) {
      throw new IOException("the restored etcd counted " + count + " keys under " + prefix
          + " at revision " + revision + " but listed " + seen);
    }
    return new Read(revision, count);
  }

  /** The served etcd version ({@code /version}). */
  String version() throws IOException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(clientUrl() + "/version"))
        .timeout(Duration.ofSeconds(10)).GET().build();
    return JSON.readTree(send(req)).path("etcdserver").asText(null);
  }

  private static ObjectNode request(byte[] key, byte[] end, boolean serializable) {
    ObjectNode body = JSON.createObjectNode();
    body.put("key", Base64.getEncoder().encodeToString(key));
    body.put("range_end", Base64.getEncoder().encodeToString(end));
    body.put("serializable", serializable);
    return body;
  }

  private JsonNode range(ObjectNode body) throws IOException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(clientUrl() + "/v3/kv/range"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    return JSON.readTree(send(req));
  }

  private String send(HttpRequest req) throws IOException {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(req.uri().getPath() + " answered " + r.statusCode() + ": "
            + r.body());
      }
      return r.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** The end of the range of every key starting with {@code prefix} (etcd's prefix end). */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] b = prefix.clone();
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xff) {
        b[i]++;
        return java.util.Arrays.copyOf(b, i + 1);
      }
    }
    return new byte[] {0};
  }

  /** The end of etcd's log, where it says what went wrong. */
  String tail() {
    try {
      String out = Files.readString(log, StandardCharsets.UTF_8).strip();
      return out.length() > 600 ? "..." + out.substring(out.length() - 600) : out;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops it: SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    LOG.info("throwaway etcd stopped");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw SnapshotException.failed("no free port on 127.0.0.1 for the drill's etcd: " + e, e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SnapshotException.failed("interrupted while waiting for the drill's etcd", e);
    }
  }
}
