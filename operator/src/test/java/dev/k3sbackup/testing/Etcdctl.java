package dev.k3sbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** etcd's own tools, used as the judge of our snapshot files. */
public final class Etcdctl {

  private Etcdctl() {}

  /**
   * What {@code etcdctl snapshot status} reads from a file.
   *
   * @param hash etcd's content hash
   * @param revision the store revision in the snapshot
   * @param totalKeys the number of keys (all revisions)
   * @param totalSize the database size
   */
  public record SnapshotStatus(long hash, long revision, long totalKeys, long totalSize) {}

  public static SnapshotStatus snapshotStatus(Path file) {
    Processes.Result r = Processes.run(List.of("etcdctl", "snapshot", "status", file.toString(),
        "-w", "json"), Map.of("ETCDCTL_API", "3"), null);
    r.requireSuccess(List.of("etcdctl snapshot status " + file));
    try {
      String json = r.output().substring(r.output().indexOf('{'));
      JsonNode n = new ObjectMapper().readTree(json);
      return new SnapshotStatus(n.get("hash").asLong(), n.get("revision").asLong(),
          n.get("totalKey").asLong(), n.get("totalSize").asLong());
    } catch (Exception e) {
      throw new IllegalStateException("unexpected etcdctl output: " + r.output(), e);
    }
  }

  /** Exit code and output of {@code etcdctl snapshot status}, for files expected to fail. */
  public static Processes.Result snapshotStatusRaw(Path file) {
    return Processes.run(List.of("etcdctl", "snapshot", "status", file.toString()),
        Map.of("ETCDCTL_API", "3"), null);
  }
}
