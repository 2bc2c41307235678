package dev.k3sbackup.restore;

import java.nio.file.Path;

/**
 * What a restore does to a K3s server node's host. One real implementation ({@link K3sHost}:
 * K3s's service and binary, run in the host's context); tests use one backed by real etcd
 * processes.
 */
public interface NodeHost {

  /**
   * Stops K3s (and with it etcd) on this node, and returns only once it is gone; no-op when
   * already stopped.
   */
  void stopK3s();

  /** Starts K3s on this node. */
  void startK3s();

  /**
   * K3s's {@code --cluster-reset} from {@code snapshot}: the current etcd data is moved aside
   * ({@code db/etcd-old-<unix>}), the snapshot is restored as a single-member cluster.
   *
   * @return where the old data was moved
   * @throws ResetFailed when the reset failed, saying whether it had moved the data aside
   */
  Path clusterReset(Path snapshot);

  /**
   * Puts back the data a failed reset moved aside ({@code movedAside}), keeping whatever the
   * reset had left in its place next to it, so that K3s starts again on its own data.
   */
  void undoReset(Path movedAside);

  /**
   * Moves this node's {@code server/db} aside (a peer rejoining a reset cluster must start
   * empty); returns where it went.
   */
  Path moveDbAside();

  /** A failed {@link #clusterReset}: what K3s said, and where it had moved the old data. */
  final class ResetFailed extends RestoreException {
    private final transient Path movedAside;

    public ResetFailed(String message, Path movedAside) {
      super(message);
      this.movedAside = movedAside;
    }

    /** Where the reset had moved the node's data before it failed; null when it had not. */
    public Path movedAside() {
      return movedAside;
    }
  }
}
