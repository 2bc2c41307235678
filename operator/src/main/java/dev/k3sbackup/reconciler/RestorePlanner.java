package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.cluster.EtcdNodes.EtcdNode;
import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import dev.k3sbackup.status.SnapshotAvailability;
import dev.k3sbackup.validation.SpecProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A restore's plan from its spec and the cluster's state, or why there can be none: which node
 * resets (the server), which rejoin (the peers), where the snapshot file is or comes from, K3s's
 * data dir (from the snapshot's storage spec, never guessed from a path), each node agent's
 * address and the steps. A pure function: the checks of preflight that need only the API, with
 * no side effects; the reconciler gathers the state and writes the plan.
 */
final class RestorePlanner {

  private RestorePlanner() {}

  /**
   * What the plan depends on, as the cluster holds it now.
   *
   * @param snapshot the EtcdSnapshot the spec names, or null when there is none
   * @param readyEtcdNodes the Ready etcd server nodes, by name, with their addresses
   * @param runningOperations other restores and snapshots under way ("EtcdRestore ns/name")
   * @param agentPort the port restore agents serve their status on
   * @param etcdNodes every etcd server node's name, Ready or not
   * @param allNodes every node's name
   */
  record ClusterState(EtcdSnapshot snapshot, List<EtcdNode> readyEtcdNodes,
      List<String> runningOperations, int agentPort, java.util.Set<String> etcdNodes,
      java.util.Set<String> allNodes) {

    /** Where every node is a Ready etcd node. */
    ClusterState(EtcdSnapshot snapshot, List<EtcdNode> readyEtcdNodes,
        List<String> runningOperations, int agentPort) {
      this(snapshot, readyEtcdNodes, runningOperations, agentPort, names(readyEtcdNodes),
          names(readyEtcdNodes));
    }

    private static java.util.Set<String> names(List<EtcdNode> nodes) {
      return new java.util.TreeSet<>(nodes.stream().map(EtcdNode::name).toList());
    }

    /** Why {@code node}, named in {@code field}, cannot take part; empty when it can. */
    Optional<SpecProblem> refusal(String node, String field) {
      if (!allNodes.contains(node)) {
        return Optional.of(new SpecProblem("NodeNotFound", field + ": no node is named '" + node
            + "': name an etcd server node (kubectl get nodes -l " + Labels.ETCD_NODE_ROLE
            + "=true)"));
      }
      if (!etcdNodes.contains(node)) {
        return Optional.of(new SpecProblem("NotAnEtcdNode", field + ": node '" + node + "' "
            + "holds no etcd (it is not labelled " + Labels.ETCD_NODE_ROLE + "=true: a K3s "
            + "agent, or a server without embedded etcd); a restore resets and rejoins etcd "
            + "members only: name etcd server nodes (kubectl get nodes -l "
            + Labels.ETCD_NODE_ROLE + "=true)"));
      }
      if (readyEtcdNodes.stream().noneMatch(n -> n.name().equals(node))) {
        return Optional.of(new SpecProblem(field.startsWith("spec.peers") ? "PeerNotReady"
            : "ServerNotReady", field + ": etcd server node '" + node + "' is not Ready: wait "
            + "until it is (kubectl get node " + node + ")"));
      }
      return Optional.empty();
    }
  }

  /**
   * The plan, or the problem that refuses it.
   *
   * @param plan the plan when the checks pass
   * @param problem why not, otherwise
   */
  record Planned(RestorePlan plan, SpecProblem problem) {

    static Planned refused(String reason, String message) {
      return new Planned(null, new SpecProblem(reason, message));
    }

    Optional<SpecProblem> refusal() {
      return Optional.ofNullable(problem);
    }
  }

  /** Plans the restore of {@code spec} in {@code namespace}, or says why it cannot be done. */
  static Planned plan(EtcdRestoreSpec spec, String namespace, ClusterState cluster) {
    if (!spec.dryRun() && !spec.confirmed()) {
      return Planned.refused("NotConfirmed", "spec.confirm must be true: a restore rolls the "
          + "whole cluster back to the snapshot's time (or set spec.dryRun: true)");
    }
    EtcdSnapshot snapshot = cluster.snapshot();
    if (snapshot == null) {
      return Planned.refused("SnapshotNotFound", "spec.snapshot: EtcdSnapshot '" + spec.snapshot
          + "' not found in namespace " + namespace + ": list them with kubectl get esnap -n "
          + namespace);
    }
    EtcdSnapshotStatus s = snapshot.getStatus();
    boolean inS3 = s != null && s.s3 != null && snapshot.getSpec().s3 != null
        && !SnapshotAvailability.missing(s, SnapshotAvailability.Copy.S3);
    boolean local = s != null && s.localPath != null
        && !SnapshotAvailability.missing(s, SnapshotAvailability.Copy.LOCAL);
    if (s != null && s.phase == SnapshotPhase.Succeeded && !local && !inS3
        && SnapshotAvailability.missingMessage(s).isPresent()) {
      return Planned.refused("SnapshotMissing", "spec.snapshot: EtcdSnapshot '" + spec.snapshot
          + "': " + SnapshotAvailability.missingMessage(s).get() + "; pick another snapshot "
          + "(kubectl get esnap -n " + namespace + ")");
    }
    if (s == null || s.phase != SnapshotPhase.Succeeded || s.snapshotName == null
        || (!local && !inS3)) {
      return Planned.refused("SnapshotNotUsable", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' has not succeeded, or has neither a file on a node nor an S3 "
          + "copy");
    }
    if (s.sha256 == null && !Boolean.TRUE.equals(s.adopted)) {
      return Planned.refused("SnapshotNotVerified", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' has no recorded sha256");
    }
    if (dev.k3sbackup.base.SnapshotName.isEncrypted(s.snapshotName) && spec.decryption == null) {
      return Planned.refused("DecryptionKeyMissing", "spec.decryption.identitySecret: "
          + "EtcdSnapshot '" + spec.snapshot + "' is encrypted with age (" + s.snapshotName
          + "): name the Secret, in the operator's namespace, whose key '"
          + dev.k3sbackup.api.v1alpha1.SnapshotDecryption.DEFAULT_IDENTITY_KEY + "' (or "
          + "spec.decryption.identityKey) holds the age identity (AGE-SECRET-KEY-1...) of one "
          + "of the recipients it was encrypted to");
    }
    List<String> ready = cluster.readyEtcdNodes().stream().map(EtcdNode::name).toList();
    String server = spec.server != null ? spec.server
        : local && s.node != null ? s.node
        : ready.isEmpty() ? null : ready.get(0);
    if (server == null) {
      return Planned.refused("ServerNotReady", "no etcd server node is Ready (labelled "
          + Labels.ETCD_NODE_ROLE + "=true)");
    }
    Optional<SpecProblem> badServer = cluster.refusal(server, spec.server != null
        ? "spec.server" : "the snapshot's node");
    if (badServer.isPresent()) {
      return Planned.refused(badServer.get().reason(), badServer.get().message()
          + (spec.server != null ? "" : "; or choose another with spec.server"));
    }
    boolean localThere = local && server.equals(s.node);
    if (!localThere && !inS3) {
      return Planned.refused("SnapshotNotOnServer", "spec.server: the snapshot's file is on "
          + "node " + s.node + ", not on " + server + ", and it has no S3 copy to fetch from: "
          + "restore on " + s.node + " (leave spec.server out)");
    }
    List<String> peers = spec.peers != null ? spec.peers
        : ready.stream().filter(n -> !n.equals(server)).toList();
    for (String peer : peers) {
      if (peer.equals(server)) {
        return Planned.refused("PeerIsServer", "spec.peers: " + peer + " is the server: the "
            + "server resets, the peers rejoin it; leave it out of spec.peers");
      }
      Optional<SpecProblem> badPeer = cluster.refusal(peer, "spec.peers");
      if (badPeer.isPresent()) {
        return Planned.refused(badPeer.get().reason(), badPeer.get().message());
      }
    }
    Map<String, String> agents = new TreeMap<>();
    List<String> nodes = new ArrayList<>(List.of(server));
    nodes.addAll(peers);
    for (String node : nodes) {
      String address = cluster.readyEtcdNodes().stream().filter(n -> n.name().equals(node))
          .findFirst().map(EtcdNode::address).orElse(null);
      if (address == null) {
        return Planned.refused("NodeAddressUnknown", "node " + node + " reports no InternalIP "
            + "in status.addresses, so the restore agents could not reach each other while the "
            + "API server is down");
      }
      agents.put(node, agentUrl(address, cluster.agentPort()));
    }
    if (!cluster.runningOperations().isEmpty() && !spec.dryRun()) {
      return Planned.refused("OperationRunning", "one operation at a time: "
          + String.join(", ", cluster.runningOperations()) + " is running; create this "
          + "restore again when it is done");
    }
    K3sLayout k3s = snapshot.getSpec().localOrDefault().layout();
    RestorePlan plan = new RestorePlan();
    plan.server = server;
    plan.peers = new ArrayList<>(peers);
    plan.dataDir = k3s.dataDir().toString();
    plan.snapshotPath = localThere ? s.localPath
        : k3s.snapshotDir().resolve(s.snapshotName).toString();
    plan.fetchFrom = localThere ? null : s.s3.location;
    plan.sha256 = s.sha256;
    plan.etcdRevision = s.etcdRevision;
    plan.agents = agents;
    plan.steps.add("preflight on " + server + ": " + (localThere ? "" : "fetch the snapshot "
        + "from " + s.s3.location + ", ") + "verify etcd's trailer and sha256, check that the "
        + "node's server token is the one the snapshot was taken with");
    if (!Boolean.FALSE.equals(spec.safetySnapshot)) {
      plan.steps.add("operator: safety snapshot of the current state on " + server);
    }
    plan.steps.add("server " + server + ": " + names(RestoreStep.of(RestoreRole.SERVER,
        !peers.isEmpty())));
    for (String peer : peers) {
      plan.steps.add("peer " + peer + ": " + names(RestoreStep.PEER));
    }
    return new Planned(plan, null);
  }

  /** A restore agent's status URL on {@code address} (an IPv6 address in brackets). */
  static String agentUrl(String address, int port) {
    return "http://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + port
        + "/";
  }

  /** K3s's layout on the nodes as a plan names it: its data dir and the snapshot's dir. */
  static K3sLayout layout(RestorePlan plan) {
    K3sLayout k3s = K3sLayout.of(plan.dataDir, null);
    java.nio.file.Path file = java.nio.file.Path.of(plan.snapshotPath);
    return new K3sLayout(k3s.dataDir(), file.getParent() == null ? null : file.getParent());
  }

  private static String names(List<RestoreStep> steps) {
    return String.join(", ", steps.stream().map(RestoreStep::id).toList());
  }
}
