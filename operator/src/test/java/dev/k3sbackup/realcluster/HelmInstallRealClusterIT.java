package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Helm;
import dev.k3sbackup.testing.realcluster.RealCluster;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Helm install, on a real API server: {@code helm install} of charts/k3s-etcd-backup with the
 * real Helm (scripts/build-helm.sh) and default values (image k3s-etcd-backup:0.1.0), as the
 * README shows it. Helm creates the CRDs from crds/ and waits for them, then the RBAC, the
 * operator and the default schedule in one release; the operator rolls out from our image, takes
 * the default schedule in, and a first on-demand EtcdSnapshot Succeeds through its Job.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmInstallRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static Helm helm;

  @BeforeAll
  static void findHelm() {
    helm = Helm.find();
  }

  private static String helmOk(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--kubeconfig";
    all[1] = cluster.kubeconfig().toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return helm.ok(all);
  }

  @Test
  @Order(1)
  void helmInstallsTheChartAndWaitsUntilTheOperatorHasRolledOut() {
    long started = System.nanoTime();
    String out = helmOk("install", "k3s-etcd-backup", "charts/k3s-etcd-backup",
        "--namespace", NS, "--create-namespace", "--wait", "--timeout", "180s");
    System.err.printf("helm install --wait: %.1f s%n", (System.nanoTime() - started) / 1e9);

    assertThat(out).contains("STATUS: deployed");
    assertThat(helmOk("list", "--namespace", NS, "-o", "json")).contains("\"status\":\"deployed\"");
    for (String crd : List.of("etcdsnapshots", "etcdsnapshotschedules", "etcdrestores")) {
      cluster.kubectlOk("wait", "--for=condition=Established", "--timeout=10s",
          "crd/" + crd + ".k3sbackup.dev");
    }
    assertThat(cluster.kubectlOk("-n", NS, "rollout", "status", "deployment/k3s-etcd-backup",
        "--timeout=10s")).contains("successfully rolled out");
    List<Pod> pods = cluster.client().pods().inNamespace(NS)
        .withLabel("app.kubernetes.io/instance", "k3s-etcd-backup").list().getItems();
    assertThat(pods).hasSize(2).allSatisfy(p -> {
      assertThat(p.getSpec().getServiceAccountName()).isEqualTo("k3s-etcd-backup");
      assertThat(p.getSpec().getContainers().get(0).getImage())
          .isEqualTo("k3s-etcd-backup:0.1.0");
      assertThat(p.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
    });
  }

  @Test
  @Order(2)
  void theDefaultScheduleOfTheReleaseIsTakenInWithK3sDefaults() {
    AtomicReference<JsonNode> schedule = new AtomicReference<>();
    RealCluster.await("the default schedule Ready", Duration.ofSeconds(90), () -> {
      schedule.set(cluster.getJson(NS, "etcdsnapshotschedule/k3s-default"));
      for (JsonNode c : schedule.get().at("/status/conditions")) {
        if (c.path("type").asText().equals("Ready")) {
          return c.path("status").asText().equals("True");
        }
      }
      return false;
    });
    assertThat(schedule.get().at("/spec/schedule").asText()).isEqualTo("0 */12 * * *");
    assertThat(schedule.get().at("/spec/retention").asInt()).isEqualTo(5);
    assertThat(schedule.get().at("/status/nextScheduleTime").asText())
        .matches(".*T(00|12):00:00Z");
  }

  @Test
  @Order(3)
  void aFirstOnDemandSnapshotSucceedsIntoK3sSnapshotDir() throws Exception {
    var r = cluster.kubectlWithManifest("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: first-snapshot, namespace: %s}
        spec: {}
        """.formatted(NS), "apply");
    assertThat(r.exitCode()).as(r.output()).isZero();

    AtomicReference<JsonNode> last = new AtomicReference<>();
    try {
      RealCluster.await("EtcdSnapshot first-snapshot Succeeded", Duration.ofSeconds(180), () -> {
        JsonNode s = cluster.getJson(NS, "etcdsnapshot/first-snapshot");
        last.set(s);
        String phase = s == null ? "" : s.at("/status/phase").asText();
        if (phase.equals("Failed")) {
          throw new AssertionError("first-snapshot Failed: " + s.path("status"));
        }
        return phase.equals("Succeeded");
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast: " + last.get() + "\n"
          + cluster.kubelet().allLogs(), e);
    }

    JsonNode status = last.get().path("status");
    assertThat(status.path("node").asText()).isEqualTo(RealCluster.NODE);
    String localPath = status.path("localPath").asText();
    assertThat(localPath).startsWith("/var/lib/rancher/k3s/server/db/snapshots/k3sbackup-on-demand-"
        + RealCluster.NODE + "-");
    Path file = cluster.server().root().resolve(localPath.substring(1));
    assertThat(Hashes.sha256(file)).isEqualTo(status.path("sha256").asText());
  }

  @Test
  @Order(4)
  void helmUninstallLeavesTheCrdsTheSnapshotsAndTheDefaultSchedule() {
    helmOk("uninstall", "k3s-etcd-backup", "--namespace", NS, "--wait", "--timeout", "120s");

    assertThat(cluster.kubectl("-n", NS, "get", "deployment", "k3s-etcd-backup").output())
        .contains("NotFound");
    // Helm never deletes what crds/ installed: the resources, and so the record of every
    // snapshot, outlive the operator
    assertThat(cluster.kubectlOk("get", "crd", "etcdsnapshots.k3sbackup.dev"))
        .contains("etcdsnapshots.k3sbackup.dev");
    assertThat(cluster.getJson(NS, "etcdsnapshot/first-snapshot")).isNotNull();
    // the schedule is kept (helm.sh/resource-policy: keep): deleting it would delete the
    // snapshots it owns, files and S3 objects too
    JsonNode schedule = cluster.getJson(NS, "etcdsnapshotschedule/k3s-default");
    assertThat(schedule).isNotNull();
    assertThat(schedule.at("/metadata/deletionTimestamp").isMissingNode()).isTrue();
  }

  @Test
  @Order(5)
  void aSecondInstallTakesTheKeptScheduleOverAndRollsOutAgain() {
    String out = helmOk("install", "k3s-etcd-backup", "charts/k3s-etcd-backup",
        "--namespace", NS, "--wait", "--timeout", "180s");

    assertThat(out).contains("STATUS: deployed");
    assertThat(helmOk("get", "manifest", "k3s-etcd-backup", "--namespace", NS))
        .contains("kind: EtcdSnapshotSchedule");
    assertThat(cluster.getJson(NS, "etcdsnapshot/first-snapshot").at("/status/phase").asText())
        .isEqualTo("Succeeded");
  }
}
