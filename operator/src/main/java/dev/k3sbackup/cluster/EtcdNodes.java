package dev.k3sbackup.cluster;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.validation.SpecProblem;
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

  /** Whether {@code name} is a Ready etcd server node. */
  public boolean isReady(String name) {
    return find(name).filter(EtcdNodes::isReady).isPresent();
  }

  /**
   * Since when etcd server node {@code name} has not been Ready (its Ready condition's last
   * transition); empty while it is Ready. A node that is gone has been gone since always.
   */
  public Optional<java.time.Instant> notReadySince(String name) {
    Optional<Node> node = find(name);
    if (node.isEmpty()) {
      return Optional.of(java.time.Instant.EPOCH);
    }
    if (isReady(node.get())) {
      return Optional.empty();
    }
    var conditions = node.get().getStatus() == null ? null
        : node.get().getStatus().getConditions();
    return Optional.of(conditions == null ? java.time.Instant.EPOCH : conditions.stream()
        .filter(c -> "Ready".equals(c.getType()) && c.getLastTransitionTime() != null)
        .map(c -> java.time.Instant.parse(c.getLastTransitionTime())).findFirst()
        .orElse(java.time.Instant.EPOCH));
  }

  /**
   * Why {@code name}, given in {@code field}, can never be the node of an etcd snapshot or
   * restore: no node has that name, or the node holds no etcd (a K3s agent, or a server with
   * {@code --disable-etcd}); empty for an etcd server node, Ready or not.
   */
  public Optional<SpecProblem> refusal(String name, String field) {
    if (find(name).isPresent()) {
      return Optional.empty();
    }
    Node any = client.nodes().withName(name).get();
    if (any == null) {
      return Optional.of(new SpecProblem("NodeNotFound", field + ": no node is named '" + name
          + "': name an etcd server node (kubectl get nodes -l " + Labels.ETCD_NODE_ROLE
          + "=true)"));
    }
    return Optional.of(new SpecProblem("NotAnEtcdNode", field + ": node '" + name + "' holds "
        + "no etcd (it is not labelled " + Labels.ETCD_NODE_ROLE + "=true: a K3s agent, or a "
        + "server without embedded etcd): name an etcd server node (kubectl get nodes -l "
        + Labels.ETCD_NODE_ROLE + "=true)"));
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
