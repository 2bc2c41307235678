package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.realcluster.RealCluster;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The install as shipped, on a real API server: {@code kubectl apply -k config/default} with the
 * real kubectl, the CRDs established, the operator's Deployment rolled out from our image by
 * the real ReplicaSet controller and scheduler (its Pods run by the fake process kubelet under
 * their own service account), one of the two replicas holding the real Lease.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  @Test
  @Order(1)
  void configDefaultAppliesWithTheRealKubectl() {
    String out = cluster.kubectlOk("apply", "-k", "config/default");
    assertThat(out).contains("customresourcedefinition.apiextensions.k8s.io/"
        + "etcdsnapshots.k3sbackup.dev");
    for (String crd : List.of("etcdsnapshots", "etcdsnapshotschedules", "etcdrestores")) {
      cluster.kubectlOk("wait", "--for=condition=Established", "--timeout=60s",
          "crd/" + crd + ".k3sbackup.dev");
    }
    assertThat(cluster.kubectlOk("apply", "-k", "config/default-schedule"))
        .contains("etcdsnapshotschedule.k3sbackup.dev/k3s-default created");
  }

  @Test
  @Order(2)
  void theOperatorRollsOutAndOneReplicaLeads() {
    String rollout = cluster.kubectl("-n", RealCluster.OPERATOR_NAMESPACE, "rollout", "status",
        "deployment/k3s-etcd-backup", "--timeout=180s").output();
    assertThat(rollout).as(rollout + cluster.kubelet().allLogs())
        .contains("successfully rolled out");
    List<Pod> pods = cluster.client().pods().inNamespace(RealCluster.OPERATOR_NAMESPACE)
        .withLabel("app.kubernetes.io/name", "k3s-etcd-backup").list().getItems();
    assertThat(pods).hasSize(2).allSatisfy(p -> {
      assertThat(p.getSpec().getServiceAccountName()).isEqualTo("k3s-etcd-backup");
      assertThat(p.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
    });
    RealCluster.await("a leader in the operator's Lease", Duration.ofSeconds(60),
        () -> pods.stream().anyMatch(p -> p.getMetadata().getName().equals(leader())));
  }

  @Test
  @Order(3)
  void whenTheLeaderPodIsDeletedTheStandbyTakesTheLeaseOver() {
    String first = leader();
    assertThat(first).isNotNull();

    cluster.kubectlOk("-n", RealCluster.OPERATOR_NAMESPACE, "delete", "pod", first,
        "--wait=false");

    AtomicReference<String> next = new AtomicReference<>();
    RealCluster.await("another replica leading", Duration.ofSeconds(90), () -> {
      next.set(leader());
      return next.get() != null && !next.get().equals(first);
    });
    // the Lease changes hands first; the new leader says so a moment later
    RealCluster.await("the new leader's log saying it leads", Duration.ofSeconds(30), () ->
        cluster.kubelet().logs(RealCluster.OPERATOR_NAMESPACE, next.get())
            .contains("leading: reconciling"));
  }

  /** The Pod named as holder of the operator's Lease, or null. */
  private static String leader() {
    var lease = cluster.client().leases().inNamespace(RealCluster.OPERATOR_NAMESPACE)
        .withName("k3s-etcd-backup-leader").get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }
}
