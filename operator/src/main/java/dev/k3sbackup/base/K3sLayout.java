package dev.k3sbackup.base;

import java.nio.file.Path;

/**
 * Where K3s keeps its files on a server node, from its data dir ({@code --data-dir}, default
 * {@value #DEFAULT_DATA_DIR}) and its snapshot dir ({@code --etcd-snapshot-dir}, default
 * {@code <data-dir>/server/db/snapshots}). The one place that knows K3s's layout: the CLI's
 * defaults, the etcd endpoint, the node Jobs' mounts, the storage defaults, the restore agent and
 * the operator's restore plan and journal reads all ask here.
 *
 * @param dataDir K3s's data dir on the node
 * @param snapshotDir the snapshot dir on the node
 */
public record K3sLayout(Path dataDir, Path snapshotDir) {

  /** K3s's default {@code --data-dir}. */
  public static final String DEFAULT_DATA_DIR = "/var/lib/rancher/k3s";
  /** The snapshot dir under the data dir, K3s's default {@code --etcd-snapshot-dir}. */
  public static final String SNAPSHOTS_IN_DATA_DIR = "server/db/snapshots";
  /** The sidecar folder: next to the snapshot dir on a node, and inside an S3 folder. */
  public static final String METADATA_DIR = ".metadata";
  /** How {@code --cluster-reset} names the etcd data it moves aside: {@code etcd-old-<unix>}. */
  public static final String ETCD_OLD_PREFIX = "etcd-old-";

  /**
   * The root dir and the system dirs no snapshot dir or data dir may be or lie under (node agent
   * Jobs write there as root): a regular expression, the same for the CRDs' CEL rules and the
   * CLI.
   */
  public static final String SYSTEM_DIRS = "^/+$|^/(etc|proc|sys|dev|boot|bin|sbin|lib|lib32|"
      + "lib64|libx32|usr|root|run|var/run|var/log)(/.*)?$";

  /** Whether {@code dir} is {@code /} or a system dir ({@link #SYSTEM_DIRS}). */
  public static boolean isSystemDir(Path dir) {
    return dir.toAbsolutePath().normalize().toString().matches(SYSTEM_DIRS);
  }

  /** A null snapshot dir is the default one under the data dir. */
  public K3sLayout {
    if (snapshotDir == null) {
      snapshotDir = dataDir.resolve(SNAPSHOTS_IN_DATA_DIR);
    }
  }

  /** The layout of {@code dataDir} with K3s's default snapshot dir. */
  public static K3sLayout of(Path dataDir) {
    return new K3sLayout(dataDir, null);
  }

  /** The layout from settings as a resource or a flag holds them: null or blank is the default. */
  public static K3sLayout of(String dataDir, String snapshotDir) {
    return new K3sLayout(Path.of(blank(dataDir) ? DEFAULT_DATA_DIR : dataDir),
        blank(snapshotDir) ? null : Path.of(snapshotDir));
  }

  /** K3s's defaults: {@value #DEFAULT_DATA_DIR} and its snapshot dir. */
  public static K3sLayout defaults() {
    return of(Path.of(DEFAULT_DATA_DIR));
  }

  /** {@code <data-dir>/server}: the server's state, next to its etcd data. */
  public Path server() {
    return dataDir.resolve("server");
  }

  /** The server token ({@code server/token}); a restore needs the one a snapshot was taken with. */
  public Path token() {
    return server().resolve("token");
  }

  /** K3s's etcd TLS dir ({@code server/tls/etcd}). */
  public Path etcdTlsDir() {
    return server().resolve("tls/etcd");
  }

  /** The CA that signed etcd's serving certificate. */
  public Path etcdCaCert() {
    return etcdTlsDir().resolve("server-ca.crt");
  }

  /** K3s's etcd client certificate. */
  public Path etcdClientCert() {
    return etcdTlsDir().resolve("client.crt");
  }

  /** K3s's etcd client key (SEC1 EC). */
  public Path etcdClientKey() {
    return etcdTlsDir().resolve("client.key");
  }

  /** {@code server/db}: etcd's data (and, by default, the snapshots). */
  public Path db() {
    return server().resolve("db");
  }

  /** Where a peer moves its {@code server/db} aside before it rejoins: {@code server/db-old-<unix>}. */
  public Path dbAside(long unixSeconds) {
    return server().resolve("db-old-" + unixSeconds);
  }

  /** Where restore agents keep their journals: next to K3s's server state, outside etcd. */
  public Path journalDir() {
    return server().resolve("k3s-etcd-backup");
  }

  /** The {@code .metadata} sidecar dir next to the snapshot dir. */
  public Path metadataDir() {
    return metadataDirOf(snapshotDir);
  }

  /** The {@code .metadata} sidecar dir next to {@code snapshotDir}, as K3s places it. */
  public static Path metadataDirOf(Path snapshotDir) {
    Path parent = snapshotDir.getParent();
    return (parent == null ? snapshotDir : parent).resolve(METADATA_DIR);
  }

  /** Whether the snapshot dir lies inside the data dir (then one mount holds both). */
  public boolean snapshotDirInDataDir() {
    return snapshotDir.normalize().startsWith(dataDir.normalize());
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
