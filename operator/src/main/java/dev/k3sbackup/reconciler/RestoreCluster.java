package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.cluster.EtcdNodes;
import dev.k3sbackup.cluster.EtcdNodes.EtcdNode;
import dev.k3sbackup.cluster.WatchedResources;
import dev.k3sbackup.api.Labels;
import java.util.Set;
import java.util.TreeSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a restore's steps read from the cluster and make in it, besides its Jobs; handed in, so
 * that the steps' decisions are tested without an API server.
 */
interface RestoreCluster {

  /** The EtcdSnapshot {@code name} in {@code namespace}. */
  Optional<EtcdSnapshot> snapshot(String namespace, String name);

  /** The Ready etcd server nodes, by name, with their addresses. */
  List<EtcdNode> readyEtcdNodes();

  /** Other restores and snapshots under way, as "EtcdRestore ns/name" (one at a time). */
  List<String> operationsRunningBesides(EtcdRestore restore);

  /** Creates an EtcdSnapshot (the safety snapshot). */
  void create(EtcdSnapshot snapshot);

  /** Every etcd server node, Ready or not (whose etcd members a restore must cover). */
  List<io.fabric8.kubernetes.api.model.Node> etcdNodes();

  /**
   * Takes the one-restore-at-a-time Lease for {@code restore}: empty when it holds it, else the
   * restore that does.
   */
  Optional<String> takeLease(EtcdRestore restore);

  /** Lets the Lease go when {@code restore} holds it. */
  void releaseLease(EtcdRestore restore);

  /**
   * The Secret {@code name} holding the restore agents' token, made (random, owned by
   * {@code restore}) when it does not exist yet.
   */
  void ensureAgentToken(EtcdRestore restore, String name);

  /** Every etcd server node's name, Ready or not. */
  default Set<String> etcdNodeNames() {
    return new TreeSet<>(readyEtcdNodes().stream().map(EtcdNode::name).toList());
  }

  /** Every node's name. */
  default Set<String> nodeNames() {
    return etcdNodeNames();
  }

  /** The restores' safety snapshots in {@code namespace} (labelled with their restore). */
  default List<EtcdSnapshot> safetySnapshots(String namespace) {
    return List.of();
  }

  /** Deletes an EtcdSnapshot (its finalizer deletes the file). */
  default void delete(EtcdSnapshot snapshot) {}

  /**
   * Which of the keys {@code key} of Secret {@code secret} in the operator's namespace lacks:
   * empty when the Secret has it; the Secret's value is not read out.
   *
   * @return "the Secret does not exist", "the Secret has no key K", or empty
   */
  default Optional<String> secretKeyMissing(String secret, String key) {
    return Optional.empty();
  }

  /**
   * The cluster through the API, where the operator acts ({@code watched}); the Lease, the
   * restores' Jobs and their token Secrets live in {@code home} (the operator's namespace).
   */
  static RestoreCluster of(KubernetesClient client, EtcdNodes nodes, WatchedResources watched,
      String home, java.time.Clock clock) {
    dev.k3sbackup.cluster.RestoreLease lease = new dev.k3sbackup.cluster.RestoreLease(client,
        home, clock);
    return new RestoreCluster() {
      @Override
      public List<io.fabric8.kubernetes.api.model.Node> etcdNodes() {
        return nodes.all();
      }

      @Override
      public Optional<String> takeLease(EtcdRestore restore) {
        return lease.acquire(restore);
      }

      @Override
      public void releaseLease(EtcdRestore restore) {
        lease.release(restore);
      }

      @Override
      public void ensureAgentToken(EtcdRestore restore, String name) {
        // where the restore's Jobs run: the operator's namespace
        String ns = home;
        if (client.secrets().inNamespace(ns).withName(name).get() != null) {
          return;
        }
        byte[] token = new byte[32];
        new java.security.SecureRandom().nextBytes(token);
        var secret = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
            .withName(name).withNamespace(ns)
            .addToLabels(dev.k3sbackup.api.Labels.MANAGED_BY,
                dev.k3sbackup.api.Labels.MANAGED_BY_US)
            .addToLabels(dev.k3sbackup.api.Labels.RESTORE, restore.getMetadata().getName())
            .endMetadata().withType("Opaque")
            .addToData(dev.k3sbackup.jobs.AgentJobs.AGENT_TOKEN_KEY, java.util.Base64
                .getEncoder().encodeToString(java.util.HexFormat.of().formatHex(token)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII))).build();
        if (ns.equals(restore.getMetadata().getNamespace())) {
          secret.addOwnerReference(restore); // an owner reference cannot cross namespaces
        }
        try {
          client.secrets().inNamespace(ns).resource(secret).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e; // 409: made meanwhile by this restore's previous reconcile
          }
        }
      }

      @Override
      public Optional<String> secretKeyMissing(String secret, String key) {
        return dev.k3sbackup.cluster.SecretKeys.missing(client, home, secret, key);
      }

      @Override
      public Set<String> etcdNodeNames() {
        return new TreeSet<>(nodes.all().stream().map(n -> n.getMetadata().getName()).toList());
      }

      @Override
      public Set<String> nodeNames() {
        return new TreeSet<>(client.nodes().list().getItems().stream()
            .map(n -> n.getMetadata().getName()).toList());
      }

      @Override
      public List<EtcdSnapshot> safetySnapshots(String namespace) {
        return client.resources(EtcdSnapshot.class).inNamespace(namespace)
            .withLabel(Labels.RESTORE).list().getItems();
      }

      @Override
      public void delete(EtcdSnapshot snapshot) {
        client.resource(snapshot).delete();
      }

      @Override
      public Optional<EtcdSnapshot> snapshot(String namespace, String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(client
            .resources(EtcdSnapshot.class).inNamespace(namespace).withName(name).get());
      }

      @Override
      public List<EtcdNode> readyEtcdNodes() {
        return nodes.readyNodes();
      }

      @Override
      public List<String> operationsRunningBesides(EtcdRestore restore) {
        List<String> busy = new ArrayList<>();
        for (EtcdRestore other : watched.list(EtcdRestore.class)) {
          if (!other.getMetadata().getUid().equals(restore.getMetadata().getUid())
              && other.getStatus() != null && !other.getStatus().phaseOrPending().terminal()
              && other.getStatus().phase != RestorePhase.Pending) {
            busy.add("EtcdRestore " + other.getMetadata().getNamespace() + "/"
                + other.getMetadata().getName());
          }
        }
        for (EtcdSnapshot running : watched.list(EtcdSnapshot.class)) {
          if (running.getStatus() != null && running.getStatus().phase == SnapshotPhase.Running) {
            busy.add("EtcdSnapshot " + running.getMetadata().getNamespace() + "/"
                + running.getMetadata().getName());
          }
        }
        return busy;
      }

      @Override
      public void create(EtcdSnapshot snapshot) {
        client.resource(snapshot).create();
      }
    };
  }
}
