package dev.k3sbackup.testing;

import dev.k3sbackup.restore.NodeHost;
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

  public int resets() {
    return resets.get();
  }

  public int stops() {
    return stops.get();
  }

  @Override
  public void stopK3s() {
    stops.incrementAndGet();
    k3sStopped = true;
    etcd.stop();
    afterStop.run();
  }

  @Override
  public void startK3s() {
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
    resets.incrementAndGet();
    Path data = etcd.dataDir();
    Path old = data.resolveSibling("etcd-old-" + resets.get());
    try {
      Files.move(data, old);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "snapshot", "restore",
        snapshot.toString()));
    cmd.addAll(etcd.restoreFlags(data));
    Processes.run(cmd, Map.of("ETCDCTL_API", "3"), null).requireSuccess(cmd);
    return old;
  }

  @Override
  public Path moveDbAside() {
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
