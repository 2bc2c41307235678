package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.etcd.EtcdMemberInfo;
import io.fabric8.kubernetes.api.model.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a restore's nodes cover every etcd member (a pure decision): a member left out keeps
 * the old cluster's data, and with others its quorum, so that two control planes would diverge.
 * A member is a node's when the node's annotation {@code etcd.k3s.cattle.io/node-name} names
 * it (K3s sets it), or when its name is K3s's {@code <node>-<8 hex>} for that node, or when its
 * peer URL is at the node's address.
 */
final class MemberCoverage {

  private MemberCoverage() {}

  /**
   * The members that {@code restoreNodes} (the server and the peers) leave out, each described
   * with the node it belongs to when one does.
   *
   * @param members etcd's members
   * @param restoreNodes the nodes the restore acts on
   * @param etcdNodes every etcd node the API knows, Ready or not
   */
  static List<String> uncovered(List<EtcdMemberInfo> members, List<String> restoreNodes,
      List<Node> etcdNodes) {
    List<String> missing = new ArrayList<>();
    for (EtcdMemberInfo m : members) {
      Optional<Node> node = nodeOf(m, etcdNodes);
      String nodeName = node.map(n -> n.getMetadata().getName()).orElse(m.k3sNodeName());
      if (nodeName == null || !restoreNodes.contains(nodeName)) {
        missing.add(m.name() + " (" + (node.isPresent() ? "node " + nodeName
            : "no node of that name; peer " + String.join(", ", m.peerUrls())) + ")");
      }
    }
    return missing;
  }

  private static Optional<Node> nodeOf(EtcdMemberInfo m, List<Node> nodes) {
    for (Node n : nodes) {
      Map<String, String> a = n.getMetadata().getAnnotations();
      if (a != null && m.name().equals(a.get(Annotations.ETCD_MEMBER_NAME))) {
        return Optional.of(n);
      }
    }
    for (Node n : nodes) {
      if (n.getMetadata().getName().equals(m.k3sNodeName())) {
        return Optional.of(n);
      }
    }
    for (Node n : nodes) {
      if (n.getStatus() != null && n.getStatus().getAddresses() != null && n.getStatus()
          .getAddresses().stream().anyMatch(a -> m.peerHosts().contains(a.getAddress()))) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }
}
