package dev.k3sbackup.cluster;

import dev.k3sbackup.base.K3sSnapshotSchedule;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether K3s takes its own scheduled snapshots on each etcd server node: from the node's
 * {@value #NODE_ARGS} annotation, which K3s writes from the running server's command line with
 * its config.yaml and drop-ins expanded; for a node without it (an agentless server, or K3s
 * older than the annotation), from what the last node scan read in the node's config.yaml, its
 * drop-ins and the k3s unit.
 */
public final class K3sSchedules {

  /** K3s's annotation of a node's server arguments (a JSON array). */
  public static final String NODE_ARGS = "k3s.io/node-args";

  private final Map<String, K3sSnapshotSchedule> scanned = new ConcurrentHashMap<>();

  /** What the node scan read on {@code node}'s files. */
  public void scanned(String node, K3sSnapshotSchedule schedule) {
    scanned.put(node, schedule);
  }

  /** K3s's own schedule on {@code node}; empty while nothing tells. */
  public Optional<K3sSnapshotSchedule> of(Node node) {
    var annotations = node.getMetadata().getAnnotations();
    String args = annotations == null ? null : annotations.get(NODE_ARGS);
    if (args != null && !args.isBlank()) {
      try {
        List<String> list = Serialization.unmarshal(args, List.class);
        return Optional.of(K3sSnapshotSchedule.fromServerArgs(list, "node annotation "
            + NODE_ARGS));
      } catch (RuntimeException e) {
        // not K3s's format: fall back to the files
      }
    }
    return Optional.ofNullable(scanned.get(node.getMetadata().getName()));
  }
}
