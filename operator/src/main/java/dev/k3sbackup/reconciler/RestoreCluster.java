package dev.k3sbackup.reconciler;

import dev.k3sbackup.cluster.LeanItemStore;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.cluster.EtcdNodes;
import dev.k3sbackup.cluster.EtcdNodes.EtcdNode;
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

  /** The cluster through the API. */
  static RestoreCluster of(KubernetesClient client, EtcdNodes nodes) {
    return new RestoreCluster() {
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
        for (EtcdRestore other : LeanItemStore.list(client, EtcdRestore.class, null)) {
          if (!other.getMetadata().getUid().equals(restore.getMetadata().getUid())
              && other.getStatus() != null && !other.getStatus().phaseOrPending().terminal()
              && other.getStatus().phase != RestorePhase.Pending) {
            busy.add("EtcdRestore " + other.getMetadata().getNamespace() + "/"
                + other.getMetadata().getName());
          }
        }
        for (EtcdSnapshot running : LeanItemStore.list(client, EtcdSnapshot.class, null)) {
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
