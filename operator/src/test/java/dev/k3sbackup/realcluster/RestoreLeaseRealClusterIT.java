package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.cluster.RestoreLease;
import dev.k3sbackup.testing.realcluster.RealCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One restore at a time, decided by a real API server: two restores taking the Lease at the
 * same moment (each with a client of its own), again and again, exactly one wins each time; and
 * two EtcdRestores created together through the installed operator, exactly one proceeds, the
 * other is refused naming it. The winner's preflight runs on the node: it lists etcd v3.6's
 * members over K3s's client TLS and finds them all covered.
 */
class RestoreLeaseRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;

  @BeforeAll
  static void install() throws Exception {
    cluster.installOperator();
    var r = cluster.kubectlWithManifest("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: base, namespace: %s}
        spec: {}
        """.formatted(NS), "apply");
    assertThat(r.exitCode()).as(r.output()).isZero();
    RealCluster.await("EtcdSnapshot base Succeeded", Duration.ofSeconds(180), () -> {
      JsonNode s = cluster.getJson(NS, "etcdsnapshot/base");
      return s != null && "Succeeded".equals(s.path("status").path("phase").asText());
    });
  }

  private static EtcdRestore restore(String name) {
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = "base";
    r.getSpec().confirm = true;
    return r;
  }

  @Test
  void theApiServerLetsExactlyOneOfTwoSimultaneousRestoresTakeTheLease() throws Exception {
    // two restores that stay under way (the operator only shows one recovered from a journal,
    // never acts on it), so that each keeps the Lease while it holds it
    cluster.kubectlOk("create", "namespace", "lease-race");
    List<EtcdRestore> pair = new ArrayList<>();
    for (String name : List.of("left", "right")) {
      EtcdRestore r = restore(name);
      r.getMetadata().setNamespace("lease-race");
      r.getMetadata().getAnnotations().put(
          dev.k3sbackup.api.Annotations.RECOVERED_FROM_JOURNAL, "test");
      pair.add(cluster.client().resource(r).create());
    }
    String config = java.nio.file.Files.readString(cluster.kubeconfig());
    ExecutorService two = Executors.newFixedThreadPool(2);
    try (KubernetesClient a = new KubernetesClientBuilder().withConfig(
        io.fabric8.kubernetes.client.Config.fromKubeconfig(config)).build();
        KubernetesClient b = new KubernetesClientBuilder().withConfig(
            io.fabric8.kubernetes.client.Config.fromKubeconfig(config)).build()) {
      RestoreLease leaseA = new RestoreLease(a, "lease-race", Clock.systemUTC());
      RestoreLease leaseB = new RestoreLease(b, "lease-race", Clock.systemUTC());
      for (int round = 0; round < 20; round++) {
        CyclicBarrier together = new CyclicBarrier(2);
        Future<Optional<String>> left = two.submit(() -> {
          together.await();
          return leaseA.acquire(pair.get(0));
        });
        Future<Optional<String>> right = two.submit(() -> {
          together.await();
          return leaseB.acquire(pair.get(1));
        });
        boolean leftWon = left.get().isEmpty();
        boolean rightWon = right.get().isEmpty();
        assertThat(leftWon ^ rightWon).as("round " + round + ": exactly one holds the Lease")
            .isTrue();
        // the winner lets go; the other then takes it at once
        EtcdRestore winner = leftWon ? pair.get(0) : pair.get(1);
        EtcdRestore loser = leftWon ? pair.get(1) : pair.get(0);
        (leftWon ? leaseA : leaseB).release(winner);
        assertThat((leftWon ? leaseB : leaseA).acquire(loser)).isEmpty();
        (leftWon ? leaseB : leaseA).release(loser);
      }
    } finally {
      two.shutdownNow();
    }
  }

  @Test
  void twoEtcdRestoresCreatedTogetherOnlyOneProceeds() throws Exception {
    // the winner's safety snapshot would run next: its Job waits, and nothing is stopped
    ExecutorService two = Executors.newFixedThreadPool(2);
    CyclicBarrier together = new CyclicBarrier(2);
    List<Future<?>> made = new ArrayList<>();
    for (String name : List.of("first", "second")) {
      made.add(two.submit(() -> {
        together.await();
        return cluster.client().resource(restore(name)).create();
      }));
    }
    for (Future<?> f : made) {
      f.get();
    }
    two.shutdown();

    List<String> phases = new ArrayList<>();
    try {
      awaitOneRefusedOneProceeding(phases);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nphases: " + phases + "\n"
          + cluster.kubelet().allLogs(), e);
    }
    try {
      String refused = phases.stream().filter(p -> p.startsWith("Failed")).findFirst()
          .orElseThrow();
      String winner = phases.stream().filter(p -> !p.startsWith("Failed")).findFirst()
          .orElseThrow();
      assertThat(refused).contains("one restore at a time").contains(NS + "/");
      assertThat(winner).as("past the preflight: members listed and all covered")
          .contains("preflight passed").doesNotContain("MembersNotCovered");
      assertThat(phases).filteredOn(p -> p.startsWith("Failed")).hasSize(1);
    } finally {
      cluster.kubectl("-n", NS, "delete", "etcdrestore", "first", "second", "--wait=false");
      cluster.kubelet().pause(false);
    }
  }

  private static void awaitOneRefusedOneProceeding(List<String> phases) throws Exception {
    RealCluster.await("one restore refused, the other past its preflight",
        Duration.ofSeconds(150), () -> {
          phases.clear();
          for (String name : List.of("first", "second")) {
            JsonNode s = cluster.getJson(NS, "etcdrestore/" + name).path("status");
            if (s.path("phase").asText().equals("SafetySnapshot")) {
              cluster.kubelet().pause(true);
            }
            phases.add(s.path("phase").asText() + " " + s.path("message").asText());
          }
          return phases.stream().anyMatch(p -> p.startsWith("Failed"))
              && phases.stream().anyMatch(p -> p.startsWith("SafetySnapshot")
                  || p.startsWith("Restoring"));
        });
  }
}
