package dev.k3sbackup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.contract.RestoreId;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node agent Jobs: only in the operator's namespace, names that fit, IPv6 addresses. */
class AgentJobsTest {

  private final AgentJobs jobs = new AgentJobs("agent:test", "k3s-etcd-backup");

  private static EtcdSnapshot snapshot(String namespace, String name) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setNamespace(namespace);
    s.getMetadata().setName(name);
    s.getMetadata().setUid("uid-" + name);
    s.setSpec(new EtcdSnapshotSpec());
    return s;
  }

  @Test
  void aSaveJobRunsInTheOperatorsNamespaceOwnedByItsSnapshotThere() {
    EtcdSnapshot s = snapshot("k3s-etcd-backup", "nightly");
    var job = jobs.save(s, jobs.jobName(s, "-save-1"), "server-1", false,
        Duration.ofMinutes(30));
    assertThat(job.getMetadata().getNamespace()).isEqualTo("k3s-etcd-backup");
    assertThat(job.getMetadata().getName()).isEqualTo("nightly-save-1");
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(1800L);
    assertThat(job.getMetadata().getLabels()).containsEntry(Labels.SNAPSHOT, "nightly")
        .containsEntry(Labels.OWNER_KIND, "EtcdSnapshot")
        .containsEntry(Labels.OWNER_NAMESPACE, "k3s-etcd-backup");
    assertThat(job.getMetadata().getOwnerReferences()).hasSize(1);
  }

  @Test
  void aDrillJobReadsTheSnapshotDirReadOnlyRestoresIntoAnEmptyDirAndCannotReachEtcd() {
    EtcdSnapshot s = snapshot("k3s-etcd-backup", "nightly");
    s.setStatus(new dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus());
    s.getStatus().snapshotName = "k3sbackup-on-demand-server-1-1700000000";
    s.getStatus().sha256 = "ab".repeat(32);
    var job = jobs.drill(s, "nightly-drill-1", "server-1", false);
    var pod = job.getSpec().getTemplate().getSpec();
    var agent = pod.getContainers().get(0);
    assertThat(job.getMetadata().getLabels()).containsEntry(Labels.OPERATION, "drill");
    assertThat(pod.getNodeName()).isEqualTo("server-1");
    assertThat(agent.getArgs()).containsSequence("drill",
        "k3sbackup-on-demand-server-1-1700000000").containsSequence("--from", "local")
        .containsSequence("--sha256", "ab".repeat(32))
        .containsSequence("--work-dir", AgentJobs.DRILL_WORK_DIR)
        .containsSequence("--dir", "/var/lib/rancher/k3s/server/db/snapshots")
        .doesNotContain("--cacert", "--token-file", "--endpoints");
    assertThat(agent.getVolumeMounts()).allSatisfy(m -> assertThat(Boolean.TRUE.equals(m.getReadOnly())
        || m.getMountPath().equals(AgentJobs.DRILL_WORK_DIR)).as(m.getMountPath()).isTrue());
    assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactlyInAnyOrder(
        "snapshots", "drill-work");
    assertThat(pod.getVolumes().stream().filter(v -> v.getName().equals("drill-work"))
        .findFirst().orElseThrow().getEmptyDir()).isNotNull();
  }

  @Test
  void aResourceElsewhereGetsAJobInTheOperatorsNamespaceFoundByLabelsNeverSharingAName() {
    EtcdSnapshot elsewhere = snapshot("team-a", "nightly");
    EtcdSnapshot home = snapshot("k3s-etcd-backup", "team-a-nightly");
    String name = jobs.jobName(elsewhere, "-save-1");
    assertThat(name).isNotEqualTo(jobs.jobName(home, "-save-1")).endsWith("-save-1");
    assertThat(KubeNames.isLabel(name)).isTrue();
    var job = jobs.save(elsewhere, name, "server-1", false, Duration.ofMinutes(30));
    assertThat(job.getMetadata().getNamespace()).isEqualTo("k3s-etcd-backup");
    assertThat(job.getMetadata().getOwnerReferences()).as("none across namespaces").isEmpty();
    assertThat(job.getMetadata().getLabels()).containsEntry(Labels.OWNER_NAMESPACE, "team-a");
    assertThat(dev.k3sbackup.reconciler.EtcdSnapshotReconciler.ownerOf(job))
        .extracting(r -> r.getNamespace().orElseThrow() + "/" + r.getName())
        .containsExactly("team-a/nightly");
  }

  @Test
  void aRestoreAgentBindsTheBareIpv6Address() {
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setNamespace("k3s-etcd-backup");
    r.getMetadata().setName("back");
    var call = new AgentJobs.RestoreCall(r, RestoreId.ofUid("u-1"), "good",
        K3sLayout.defaults(), 9791, Map.of("s1", "http://[fd00:10::1]:9791/",
            "s2", "http://[fd00:10::2]:9791/"), "back-agents", null, 2);
    var server = jobs.restoreServer(call, "back-server", "s1", "/x/snap", null,
        java.util.List.of("s2"), null);
    assertThat(server.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsSubsequence("--status-address", "fd00:10::1")
        .containsSubsequence("--peer", "http://[fd00:10::2]:9791/");
  }
}
