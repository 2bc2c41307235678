package dev.k3sbackup.cluster;

import dev.k3sbackup.api.Labels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** K3s's etcd server nodes: the nodes labelled {@code node-role.kubernetes.io/etcd=true}. */
public final class EtcdNodes {

  /**
   * A Ready etcd server node.
   *
   * @param name its name
   * @param address where other nodes reach it (InternalIP, else ExternalIP), or null
   */
  public record EtcdNode(String name, String address) {}

  private final KubernetesClient client;

  public EtcdNodes(KubernetesClient client) {
    this.client = client;
  }

  /** All etcd server nodes, by name. */
  public List<Node> all() {
    return client.nodes().withLabel(Labels.ETCD_NODE_ROLE, "true").list().getItems().stream()
        .sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList();
  }

  /** Ready etcd server nodes, by name. */
  public List<String> ready() {
    return readyNodes().stream().map(EtcdNode::name).toList();
  }

  /** Ready etcd server nodes with their addresses, by name. */
  public List<EtcdNode> readyNodes() {
    return all().stream().filter(EtcdNodes::isReady)
        .map(n -> new EtcdNode(n.getMetadata().getName(), address(n).orElse(null))).toList();
  }

  public Optional<Node> find(String name) {
    return all().stream().filter(n -> n.getMetadata().getName().equals(name)).findFirst();
  }

  /** The address other nodes reach {@code node} at: its InternalIP, else its ExternalIP. */
  public static Optional<String> address(Node node) {
    if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
      return Optional.empty();
    }
    for (String type : List.of("InternalIP", "ExternalIP")) {
      for (var a : node.getStatus().getAddresses()) {
        if (type.equals(a.getType()) && a.getAddress() != null && !a.getAddress().isBlank()) {
          return Optional.of(a.getAddress());
        }
      }
    }
    return Optional.empty();
  }

  static boolean isReady(Node node) {
    if (node.getStatus() == null || node.getStatus().getConditions() == null) {
      return false;
    }
    return node.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
