package dev.k3sbackup.restore;

import dev.k3sbackup.base.K3sConfig;
import dev.k3sbackup.base.K3sLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The real host: K3s under its service manager, driven from a privileged agent Pod with the
 * host's PID namespace, each command run in the host's context ({@link HostCommands}) exactly as
 * an admin types the commands of K3s's restore guide on the node, with these differences:
 *
 * <ul>
 *   <li>every stop is verified: the next step waits until no {@code k3s server} process is left;
 *   <li>{@code --cluster-reset} runs with a copy of K3s's config file ({@code K3S_CONFIG_FILE})
 *       that leaves out {@code server} (K3s refuses a reset while a server URL is set, which
 *       every server that joined has) and sets {@code etcd-s3: false} (with {@code etcd-s3: true}
 *       K3s would take the local file's path for an S3 key); the node's own config files are
 *       left byte for byte as they were;
 *   <li>a failed reset can be undone ({@link #undoReset}), so that K3s starts on its own data.
 * </ul>
 */
public final class K3sHost implements NodeHost {

  /** What K3s logs when a cluster reset has worked. */
  static final String RESET_DONE = "restart without --cluster-reset flag now";
  /** Keys of K3s's config that a reset must not see. */
  static final Set<String> NOT_FOR_RESET = Set.of("server", "cluster-reset",
      "cluster-reset-restore-path");

  /**
   * How long each host command may take.
   *
   * @param service stopping or starting K3s's service
   * @param stopped after a stop, until no {@code k3s server} process is left
   * @param reset the cluster reset
   */
  public record Timeouts(Duration service, Duration stopped, Duration reset) {
    public static final Timeouts DEFAULT = new Timeouts(Duration.ofMinutes(3),
        Duration.ofMinutes(2), Duration.ofMinutes(20));
  }

  private final HostCommands host;
  private final K3sLayout k3s;
  private final Path configFile;
  private final String serviceManager;
  private final String serviceName;
  private final Clock clock;
  private final Timeouts timeouts;
  private final ProcessTable processes;
  private K3sService service;

  /**
   * @param host how commands reach the host ({@link HostCommands#host()} in production)
   * @param k3s K3s's layout on the node (the data dir is mounted at the same path)
   * @param configFile K3s's config file as the agent sees it (mounted read-only at its path)
   * @param serviceManager {@code systemd}, {@code openrc} or {@code auto}
   * @param serviceName the unit or service ({@code k3s} when null)
   */
  public K3sHost(HostCommands host, K3sLayout k3s, Path configFile, String serviceManager,
      String serviceName, Clock clock, Timeouts timeouts, ProcessTable processes) {
    this.host = host;
    this.k3s = k3s;
    this.configFile = configFile;
    this.serviceManager = serviceManager;
    this.serviceName = serviceName;
    this.clock = clock;
    this.timeouts = timeouts;
    this.processes = processes;
  }

  private K3sService service() {
    if (service == null) {
      service = K3sService.of(serviceManager, serviceName, host);
    }
    return service;
  }

  @Override
  public void stopK3s() {
    K3sService s = service();
    host.runOk("stopping K3s (" + String.join(" ", s.stop()) + ")", s.stop(), Map.of(),
        timeouts.service());
    long deadline = System.nanoTime() + timeouts.stopped().toNanos();
    List<Long> left = processes.k3sServers();
    while (!left.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new RestoreException(String.join(" ", s.stop()) + " returned, but k3s server "
            + "still runs (pid " + left + ") after " + timeouts.stopped().toSeconds() + " s: "
            + "nothing more was done; stop it, then run the restore again");
      }
      sleep(500);
      left = processes.k3sServers();
    }
  }

  @Override
  public void startK3s() {
    K3sService s = service();
    host.runOk("starting K3s (" + String.join(" ", s.start()) + ")", s.start(), Map.of(),
        timeouts.service());
  }

  @Override
  public Path clusterReset(Path snapshot) {
    List<Path> before = etcdOld();
    Path config = resetConfig();
    try {
      List<String> argv = List.of("k3s", "server", "--cluster-reset",
          "--cluster-reset-restore-path=" + snapshot, "--etcd-s3=false", "--data-dir",
          k3s.dataDir().toString());
      HostCommands.Result r;
      try {
        r = host.run("k3s server --cluster-reset", argv, Map.of(K3sConfig.ENV,
            config.toString()), timeouts.reset());
      } catch (RestoreException e) {
        throw new ResetFailed(e.getMessage(), movedBy(before));
      }
      if (r.exitCode() != 0) {
        throw new ResetFailed("k3s server --cluster-reset exited " + r.exitCode() + ": "
            + HostCommands.tail(r.output()), movedBy(before));
      }
      if (!r.output().contains(RESET_DONE)) {
        throw new ResetFailed("k3s server --cluster-reset exited 0 but did not report \""
            + RESET_DONE + "\"; its output ends: " + HostCommands.tail(r.output()),
            movedBy(before));
      }
      Path moved = movedBy(before);
      return moved != null ? moved : k3s.db().resolve("etcd-old");
    } finally {
      try {
        Files.deleteIfExists(config);
      } catch (IOException e) {
        // it holds the token: say so, but the restore's outcome does not depend on it
        org.slf4j.LoggerFactory.getLogger(K3sHost.class).warn("could not remove {}: {}",
            config, e.getMessage());
      }
    }
  }

  /**
   * K3s's configuration as a reset must see it, written next to the journals (mode 0600: it
   * holds what config.yaml holds, the token too).
   */
  private Path resetConfig() {
    K3sConfig config;
    try {
      config = K3sConfig.read(configFile);
    } catch (IOException e) {
      throw new RestoreException("cannot read K3s's configuration " + configFile + ": "
          + e.getMessage() + "; nothing was reset");
    }
    Path file = k3s.journalDir().resolve("cluster-reset-config.yaml");
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, config.with(NOT_FOR_RESET, Map.of("etcd-s3", "false")).toYaml(),
          StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new RestoreException("cannot write " + file + " for the reset: " + e.getMessage());
    }
  }

  @Override
  public void undoReset(Path movedAside) {
    if (movedAside == null || !Files.isDirectory(movedAside)) {
      return; // the reset moved nothing: the node's data is where it was
    }
    Path etcd = k3s.db().resolve("etcd");
    try {
      if (Files.exists(etcd)) {
        Files.move(etcd, k3s.db().resolve("etcd-failed-reset-"
            + clock.instant().getEpochSecond()));
      }
      Files.move(movedAside, etcd);
      Files.deleteIfExists(k3s.db().resolve("reset-flag"));
    } catch (IOException e) {
      throw new RestoreException("cannot move " + movedAside + " back to " + etcd + " after the "
          + "failed reset: " + e.getMessage() + "; move it back by hand, then start K3s");
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

  private List<Path> etcdOld() {
    if (!Files.isDirectory(k3s.db())) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(k3s.db())) {
      return dirs.filter(p -> p.getFileName().toString().startsWith(K3sLayout.ETCD_OLD_PREFIX))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code etcd-old-*} dir the reset made, if it made one. */
  private Path movedBy(List<Path> before) {
    List<Path> now = new ArrayList<>(etcdOld());
    now.removeAll(before);
    return now.isEmpty() ? null : now.get(now.size() - 1);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RestoreException("interrupted");
    }
  }
}
