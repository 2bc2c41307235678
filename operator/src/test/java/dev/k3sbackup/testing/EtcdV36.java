package dev.k3sbackup.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opentest4j.TestAbortedException;

/**
 * etcd v3.6's own programs (etcd, etcdctl, etcdutl), the line K3s v1.34 embeds and our image
 * carries, as {@code scripts/etcd-binaries.sh} builds them (Debian's etcd is 3.4, without
 * etcdutl). Found in {@code -Drealcluster.bin} (scripts/test.sh passes it) or the script's cache;
 * without them a test is skipped with one line, except with {@code CI=true}, where that is a
 * failure.
 */
public final class EtcdV36 {

  private EtcdV36() {}

  /** The directory holding etcd, etcdctl and etcdutl v3.6, or a skip (a failure in CI). */
  public static Path binaries() {
    Path found = find();
    if (found == null) {
      String line = "etcd v3.6 tests skipped: etcd, etcdctl and etcdutl v3.6 are not built "
          + "(bash scripts/etcd-binaries.sh, or -Drealcluster.bin=DIR)";
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(line + " (CI=true: they must run)");
      }
      System.err.println(line);
      throw new TestAbortedException(line);
    }
    return found;
  }

  private static Path find() {
    String given = System.getProperty("realcluster.bin");
    if (given != null && !given.isBlank() && complete(Path.of(given))) {
      return Path.of(given);
    }
    for (Path script : List.of(Path.of("scripts/etcd-binaries.sh"),
        Path.of("../scripts/etcd-binaries.sh"))) {
      if (Files.isRegularFile(script)) {
        Matcher m = Pattern.compile("ETCD_VERSION=\\$\\{ETCD_VERSION:-([^}]+)}")
            .matcher(Processes.read(script));
        if (!m.find()) {
          return null;
        }
        String cacheHome = System.getenv("XDG_CACHE_HOME") != null
            ? System.getenv("XDG_CACHE_HOME") : System.getProperty("user.home") + "/.cache";
        Path dir = Path.of(cacheHome, "k3s-etcd-backup", "etcd-" + m.group(1));
        return complete(dir) ? dir : null;
      }
    }
    return null;
  }

  private static boolean complete(Path dir) {
    return Files.isExecutable(dir.resolve("etcd")) && Files.isExecutable(dir.resolve("etcdctl"))
        && Files.isExecutable(dir.resolve("etcdutl"));
  }

  /** Runs etcdutl v3.6; does not fail on a non-zero exit. */
  public static Processes.Result etcdutl(String... args) {
    List<String> cmd = new ArrayList<>(List.of(binaries().resolve("etcdutl").toString()));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, Map.of(), null);
  }

  /** One etcd v3.6 member on free loopback ports (plain http) over a data dir. */
  public static final class Server implements AutoCloseable {
    private final Path dataDir;
    private final String name;
    private final int clientPort = Processes.freePort();
    private final int peerPort = Processes.freePort();
    private final Path log;
    private Process process;

    private Server(Path dataDir, String name) {
      this.dataDir = dataDir;
      this.name = name;
      this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    /** Starts a new member on {@code dataDir} (empty, or restored for member {@code name}). */
    public static Server start(Path dataDir, String name) {
      Server s = new Server(dataDir, name);
      s.launch();
      return s;
    }

    /** The peer URL the member advertises. */
    public String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }

    public String endpoint() {
      return "http://127.0.0.1:" + clientPort;
    }

    /**
     * The {@code etcdutl snapshot restore} flags that make a data dir this member could serve,
     * for a member called {@code name} on {@code peerUrl}.
     */
    public static List<String> restoreFlags(Path into, String name, String peerUrl) {
      return List.of("--data-dir", into.toString(), "--name", name, "--initial-cluster",
          name + "=" + peerUrl, "--initial-advertise-peer-urls", peerUrl);
    }

    /** Runs etcdctl v3.6 against this member; does not fail on a non-zero exit. */
    public Processes.Result etcdctl(String... args) {
      List<String> cmd = new ArrayList<>(List.of(binaries().resolve("etcdctl").toString(),
          "--endpoints", endpoint(), "--command-timeout", "10s"));
      cmd.addAll(List.of(args));
      return Processes.run(cmd, Map.of(), null);
    }

    /** Runs etcdctl v3.6 and fails on a non-zero exit. */
    public String etcdctlOk(String... args) {
      Processes.Result r = etcdctl(args);
      r.requireSuccess(List.of("etcdctl " + String.join(" ", args)));
      return r.output();
    }

    /** The store's current revision. */
    public long revision() {
      String json = etcdctlOk("get", "/", "-w", "json");
      Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(json);
      if (!m.find()) {
        throw new IllegalStateException("no revision in " + json);
      }
      return Long.parseLong(m.group(1));
    }

    private void launch() {
      String peer = peerUrl();
      List<String> cmd = List.of(binaries().resolve("etcd").toString(), "--name", name,
          "--data-dir", dataDir.toString(), "--logger=zap", "--log-outputs=stderr",
          "--listen-client-urls", endpoint(), "--advertise-client-urls", endpoint(),
          "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
          "--initial-cluster", name + "=" + peer, "--initial-cluster-state", "new",
          "--listen-metrics-urls", "http://127.0.0.1:" + Processes.freePort());
      try {
        Files.createDirectories(dataDir.getParent());
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start etcd v3.6", e);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("etcd exited " + process.exitValue() + ":\n"
              + Processes.read(log));
        }
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
          if (etcdctl("endpoint", "health").exitCode() == 0) {
            return;
          }
        } catch (IOException e) {
          // not yet
        }
        sleep(100);
      }
      throw new IllegalStateException("etcd v3.6 did not serve within 30 s:\n"
          + Processes.read(log));
    }

    @Override
    public void close() {
      if (process != null && process.isAlive()) {
        process.destroy();
        try {
          if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    private static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
