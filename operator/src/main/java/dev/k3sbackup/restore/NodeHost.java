package dev.k3sbackup.restore;

import java.nio.file.Path;

/**
 * What a restore does to a K3s server node's host. One real implementation ({@link K3sHost}:
 * systemd and the k3s binary, through the host's namespaces); tests use one backed by real etcd
 * processes.
 */
public interface NodeHost {

  /** Stops K3s (and with it etcd) on this node; no-op when already stopped. */
  void stopK3s();

  /** Starts K3s on this node. */
  void startK3s();

  /**
   * K3s's {@code --cluster-reset} from {@code snapshot}: the current etcd data is moved aside
   * ({@code db/etcd-old-<unix>}), the snapshot is restored as a single-member cluster.
   *
   * @return where the old data was moved
   */
  Path clusterReset(Path snapshot);

  /**
   * Moves this node's {@code server/db} aside (a peer rejoining a reset cluster must start
   * empty); returns where it went.
   */
  Path moveDbAside();
}
