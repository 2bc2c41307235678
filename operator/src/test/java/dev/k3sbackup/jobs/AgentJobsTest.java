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
        || m.getMountPath().equals(AgentJobs.DRILL_WORK_DIR) || m.getMountPath().equals("/tmp"))
        .as(m.getMountPath()).isTrue());
    assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactlyInAnyOrder(
        "snapshots", "drill-work", "tmp");
    assertThat(pod.getVolumes().stream().filter(v -> v.getName().equals("drill-work"))
        .findFirst().orElseThrow().getEmptyDir()).isNotNull();
    assertThat(agent.getArgs()).as("not encrypted: no identity").doesNotContain(
        "--decrypt-identity-file");

    // an encrypted snapshot's drill gets the identity named in spec.encryption.drillDecryption,
    // as a file from its Secret, never as an argument or environment
    s.getSpec().encryption = new dev.k3sbackup.api.v1alpha1.SnapshotEncryption();
    s.getSpec().encryption.recipientsSecret = "backup-recipients";
    s.getSpec().encryption.drillDecryption = new dev.k3sbackup.api.v1alpha1.SnapshotDecryption();
    s.getSpec().encryption.drillDecryption.identitySecret = "backup-identity";
    var encrypted = jobs.drill(s, "nightly-drill-2", "server-1", false).getSpec().getTemplate()
        .getSpec();
    assertThat(encrypted.getContainers().get(0).getArgs()).containsSequence(
        "--decrypt-identity-file", AgentJobs.AGE_IDENTITY_FILE);
    assertThat(encrypted.getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement()
        .satisfies(v -> {
          assertThat(v.getSecret().getSecretName()).isEqualTo("backup-identity");
          assertThat(v.getSecret().getItems()).singleElement()
              .satisfies(i -> assertThat(i.getKey()).isEqualTo("identity"));
        });
    assertThat(encrypted.getContainers().get(0).getEnv()).noneMatch(e -> e.getValueFrom() != null
        && e.getValueFrom().getSecretKeyRef() != null);
  }

  @Test
  void aNodeScansJobIsEndedAfterTenMinutesWhereOtherJobsGetAnHour() {
    var scan = jobs.scan("scan-server-1-x", "server-1", java.util.List.of("/var/lib/snaps"));
    var journals = jobs.journals("journal-scan-server-1-x", "server-1", K3sLayout.defaults(),
        java.util.List.of());
    assertThat(java.util.List.of(scan, journals)).allSatisfy(job ->
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(600L));
    EtcdSnapshot s = snapshot("k3s-etcd-backup", "nightly");
    assertThat(jobs.deleteLocal(s, "nightly-delete-1", "server-1", "f").getSpec()
        .getActiveDeadlineSeconds()).isEqualTo(3600L);
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

  @Test
  void ageKeysReachTheAgentAsFilesMountedFromTheirSecretsNeverAsArgumentsOrEnvironment() {
    EtcdSnapshot s = snapshot("k3s-etcd-backup", "sealed");
    s.getSpec().encryption = new dev.k3sbackup.api.v1alpha1.SnapshotEncryption();
    s.getSpec().encryption.recipientsSecret = "backup-recipients";
    var save = jobs.save(s, "sealed-save-1", "server-1", false, Duration.ofMinutes(30));
    var pod = save.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getArgs()).containsSubsequence(
        "--encrypt-recipients-file", AgentJobs.AGE_RECIPIENTS_FILE);
    var volume = pod.getVolumes().stream().filter(v -> v.getName().equals("age-recipients"))
        .findFirst().orElseThrow();
    assertThat(volume.getSecret().getSecretName()).isEqualTo("backup-recipients");
    assertThat(volume.getSecret().getItems().get(0).getKey()).isEqualTo("recipients");
    assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("age-recipients");
      assertThat(m.getReadOnly()).isTrue();
    });

    s.setStatus(new dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus());
    s.getStatus().snapshotName = "k3sbackup-on-demand-server-1-7.age";
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setNamespace("k3s-etcd-backup");
    r.getMetadata().setName("back");
    var decryption = new dev.k3sbackup.api.v1alpha1.SnapshotDecryption();
    decryption.identitySecret = "backup-identity";
    decryption.identityKey = "key.txt";
    var preflight = jobs.prepareRestore(r, "back-preflight", "server-1", s, false, decryption);
    var container = preflight.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getArgs()).containsSubsequence("--decrypt-identity-file",
        AgentJobs.AGE_IDENTITY_FILE);
    assertThat(String.join(" ", container.getArgs())).contains("spec.decryption.identitySecret");
    assertThat(container.getEnv()).noneMatch(e -> e.getValueFrom() != null
        && e.getValueFrom().getSecretKeyRef() != null
        && e.getValueFrom().getSecretKeyRef().getName().equals("backup-identity"));
    var identity = preflight.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals("age-identity")).findFirst().orElseThrow();
    assertThat(identity.getSecret().getSecretName()).isEqualTo("backup-identity");
    assertThat(identity.getSecret().getItems().get(0).getKey()).isEqualTo("key.txt");
    assertThat(identity.getSecret().getItems().get(0).getPath()).isEqualTo("identity");
    assertThat(identity.getSecret().getDefaultMode()).isEqualTo(0400);
  }
}
