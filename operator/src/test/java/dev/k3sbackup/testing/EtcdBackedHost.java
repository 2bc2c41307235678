package dev.k3sbackup.testing;

import dev.k3sbackup.restore.NodeHost;
import dev.k3sbackup.restore.NodeHost.ResetFailed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake host, named as such: stands for a K3s server node whose K3s is a real etcd process.
 * Stopping and starting K3s stop and start that process; the cluster reset does what K3s's does,
 * with etcd's own tools: the data dir moves aside to {@code etcd-old-<n>} and
 * {@code etcdctl snapshot restore} recreates it as a single member.
 */
public final class EtcdBackedHost implements NodeHost {

  private final EtcdProcess etcd;
  private final java.util.function.Supplier<EtcdProcess> joinThrough;
  private volatile Runnable afterStop = () -> { };
  private volatile boolean k3sStopped;
  private volatile Runnable afterStart = () -> { };
  private final AtomicInteger resets = new AtomicInteger();
  private final AtomicInteger stops = new AtomicInteger();

  /** The host of a single server, or of the one that restores. */
  public EtcdBackedHost(EtcdProcess etcd) {
    this(etcd, () -> null);
  }

  /** The host of a peer: once wiped, starting it rejoins the cluster of {@code joinThrough}. */
  public EtcdBackedHost(EtcdProcess etcd, EtcdProcess joinThrough) {
    this(etcd, () -> joinThrough);
  }

  /** The host of a node that, once wiped, rejoins through whichever member {@code joinThrough} gives. */
  public EtcdBackedHost(EtcdProcess etcd, java.util.function.Supplier<EtcdProcess> joinThrough) {
    this.etcd = etcd;
    this.joinThrough = joinThrough;
  }

  /**
   * What else happens when K3s stops and once it has started here (on a server: its API server
   * goes and comes back with it).
   */
  public void onStopAndStart(Runnable afterStop, Runnable afterStart) {
    this.afterStop = afterStop;
    this.afterStart = afterStart;
  }

  /** Faults a test can inject, as a real host could show them. */
  public enum Fault {
    /** K3s's reset dies after it moved the data aside (k3s killed mid-reset). */
    RESET_DIES_AFTER_MOVE,
    /** K3s's reset refuses before touching anything (e.g. a server URL in config.yaml). */
    RESET_REFUSED,
    /** Moving server/db aside fails. */
    WIPE_FAILS,
    /** Stopping K3s fails (the service manager errs). */
    STOP_FAILS
  }

  private final java.util.Set<Fault> faults = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicInteger starts = new AtomicInteger();

  /** Makes {@code fault} happen from now on. */
  public EtcdBackedHost inject(Fault fault) {
    faults.add(fault);
    return this;
  }

  public int starts() {
    return starts.get();
  }

  /** Whether this node's etcd runs now. */
  public boolean etcdRuns() {
    return etcd.running();
  }

  public int resets() {
    return resets.get();
  }

  public int stops() {
    return stops.get();
  }

  @Override
  public void stopK3s() {
    if (faults.contains(Fault.STOP_FAILS)) {
      throw new dev.k3sbackup.restore.RestoreException("systemctl stop k3s exited 1: "
          + "(injected fault)");
    }
    stops.incrementAndGet();
    k3sStopped = true;
    etcd.stop();
    afterStop.run();
  }

  @Override
  public void startK3s() {
    starts.incrementAndGet();
    if (etcd.running()) {
      return; // systemctl start of a running service
    }
    EtcdProcess through = joinThrough.get();
    if (through != null && !Files.exists(etcd.dataDir())) {
      etcd.rejoin(through); // a wiped K3s server joins the server it is configured with
    } else {
      etcd.restart();
    }
    k3sStopped = false;
    afterStart.run();
  }

  /**
   * Whether K3s runs here: not between a restore's stop and start. Its kubelet is part of it, so
   * no new Pod starts on this node meanwhile (Pods already running go on).
   */
  public boolean k3sRuns() {
    return !k3sStopped;
  }

  @Override
  public Path clusterReset(Path snapshot) {
    if (faults.contains(Fault.RESET_REFUSED)) {
      throw new ResetFailed("k3s server --cluster-reset exited 1: cannot perform cluster-reset "
          + "while server URL is set (injected fault)", null);
    }
    resets.incrementAndGet();
    Path data = etcd.dataDir();
    Path old = data.resolveSibling("etcd-old-" + resets.get());
    try {
      Files.move(data, old);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (faults.contains(Fault.RESET_DIES_AFTER_MOVE)) {
      try {
        Files.createDirectories(data.resolve("member")); // what a killed restore leaves
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw new ResetFailed("k3s server --cluster-reset was killed (injected fault)", old);
    }
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "snapshot", "restore",
        snapshot.toString()));
    cmd.addAll(etcd.restoreFlags(data));
    Processes.run(cmd, Map.of("ETCDCTL_API", "3"), null).requireSuccess(cmd);
    return old;
  }

  @Override
  public void undoReset(Path movedAside) {
    if (movedAside == null) {
      return;
    }
    Path data = etcd.dataDir();
    try {
      if (Files.exists(data)) {
        Files.move(data, data.resolveSibling("etcd-failed-reset-" + resets.get()));
      }
      Files.move(movedAside, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Path moveDbAside() {
    if (faults.contains(Fault.WIPE_FAILS)) {
      throw new dev.k3sbackup.restore.RestoreException("cannot move server/db aside: "
          + "Device or resource busy (injected fault)");
    }
    Path data = etcd.dataDir();
    Path aside = data.resolveSibling(data.getFileName() + "-aside");
    try {
      Files.move(data, aside);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return aside;
  }
}
