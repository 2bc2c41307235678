package dev.k3sbackup.restore;

import dev.k3sbackup.base.K3sLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real host: K3s under systemd, driven from a privileged agent Pod (hostPID) by entering the
 * host's namespaces with {@code nsenter}, exactly as an admin would type the commands of K3s's
 * restore guide on the node.
 */
public final class K3sHost implements NodeHost {

  /** Enter PID 1's namespaces: the host's systemd, binaries and file systems. */
  public static final List<String> NSENTER = List.of("nsenter", "--target", "1", "--mount",
      "--uts", "--ipc", "--net", "--pid", "--");
  /** What K3s logs when a cluster reset has worked. */
  static final String RESET_DONE = "restart without --cluster-reset flag now";

  private final List<String> prefix;
  private final K3sLayout k3s;
  private final String service;
  private final Clock clock;

  /**
   * @param prefix what runs a command on the host ({@link #NSENTER} in production)
   * @param dataDir K3s's data dir, as the agent sees it (mounted at the same path)
   * @param service the systemd unit ({@code k3s})
   */
  public K3sHost(List<String> prefix, Path dataDir, String service, Clock clock) {
    this.prefix = prefix;
    this.k3s = K3sLayout.of(dataDir);
    this.service = service;
    this.clock = clock;
  }

  @Override
  public void stopK3s() {
    run(List.of("systemctl", "stop", service), "stop " + service);
  }

  @Override
  public void startK3s() {
    run(List.of("systemctl", "start", service), "start " + service);
  }

  @Override
  public Path clusterReset(Path snapshot) {
    String out = run(List.of("k3s", "server", "--cluster-reset",
        "--cluster-reset-restore-path=" + snapshot, "--data-dir", k3s.dataDir().toString()),
        "k3s server --cluster-reset");
    if (!out.contains(RESET_DONE)) {
      throw new RestoreException("k3s server --cluster-reset exited 0 but did not report "
          + "\"" + RESET_DONE + "\"; its output ends: " + tail(out));
    }
    try (Stream<Path> dirs = Files.list(k3s.db())) {
      return dirs.filter(p -> p.getFileName().toString().startsWith(K3sLayout.ETCD_OLD_PREFIX))
          .max(Comparator.comparing(p -> p.getFileName().toString()))
          .orElse(k3s.db().resolve("etcd-old"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Path moveDbAside() {
    Path db = k3s.db();
    Path aside = k3s.dbAside(clock.instant().getEpochSecond());
    try {
      if (Files.exists(db)) {
        Files.move(db, aside);
      }
      return aside;
    } catch (IOException e) {
      throw new RestoreException("cannot move " + db + " aside to " + aside + ": "
          + e.getMessage());
    }
  }

  private String run(List<String> argv, String what) {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(argv);
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(15, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new RestoreException(what + " did not finish within 15 minutes");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new RestoreException(what + " exited " + p.exitValue() + ": " + tail(text));
      }
      return text;
    } catch (IOException e) {
      throw new RestoreException("cannot run " + what + " on the host (" + e.getMessage()
          + "): the agent needs a privileged Pod with hostPID");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RestoreException(what + " was interrupted");
    }
  }

  private static String tail(String out) {
    String t = out.strip();
    return t.length() > 600 ? "..." + t.substring(t.length() - 600) : t;
  }
}
