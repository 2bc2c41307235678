package dev.k3sbackup.reconciler;

import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.nodescan.SnapshotAdopter;
import dev.k3sbackup.jobs.JobState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.S3Credentials;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Etcdctl;
import dev.k3sbackup.testing.FakeKubelet;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.S3Fixture;
import io.fabric8.kubernetes.api.model.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One-off EtcdSnapshots through the real operator: Jobs on fake nodes run our agent against
 * real etcd and S3; files are judged by etcdctl.
 */
class EtcdSnapshotOperatorIT {

  private static final String NS = OperatorHarness.NAMESPACE;
  private static final String SNAPSHOTS = "var/lib/rancher/k3s/server/db/snapshots";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;
  private FakeKubelet.FakeNode node;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket("backups"); // S3Proxy needs one to shut down
    etcd = EtcdProcess.start(work);
    for (int i = 0; i < 20; i++) {
      etcd.put("/registry/configmaps/default/cm-" + i, "v" + i);
    }
    cluster = new OperatorHarness(new MutableClock(Instant.parse("2026-11-21T12:00:00Z")));
    node = cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    cluster.startOperator();
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
  }

  private EtcdSnapshot create(String name, EtcdSnapshotSpec spec) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.setSpec(spec);
    return cluster.client().resource(s).create();
  }

  private EtcdSnapshot get(String name) {
    return cluster.client().resources(EtcdSnapshot.class).inNamespace(NS).withName(name).get();
  }

  private EtcdSnapshot awaitPhase(String name, SnapshotPhase phase) {
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
      EtcdSnapshot s = get(name);
      return s != null && s.getStatus() != null && s.getStatus().phase == phase;
    });
    return get(name);
  }

  private List<String> eventReasons(String name) {
    return cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName())).map(Event::getReason).toList();
  }

  private static List<String> files(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> f = Files.list(dir)) {
      return f.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void oneOffLocalSnapshotSucceedsAndStatusMatchesTheFile() throws Exception {
    cluster.allowProgressReports();
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    create("before-upgrade", spec);

    EtcdSnapshot done = awaitPhase("before-upgrade", SnapshotPhase.Succeeded);

    var status = done.getStatus();
    Path file = node.path("/" + SNAPSHOTS).resolve(status.snapshotName);
    assertThat(status.snapshotName).matches("k3sbackup-on-demand-server-1-\\d+");
    assertThat(file).isRegularFile();
    assertThat(status.localPath).isEqualTo("/" + SNAPSHOTS + "/" + status.snapshotName);
    assertThat(status.size).isEqualTo(Files.size(file));
    assertThat(status.sha256).isEqualTo(dev.k3sbackup.testing.Hashes.sha256(file));
    assertThat(status.etcdRevision).isEqualTo(Etcdctl.snapshotStatus(file).revision());
    // K3s's token hash stays on the node (sidecar) and in S3 metadata, not in the API
    assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(done))
        .doesNotContain("tokenHash").doesNotContain(
            dev.k3sbackup.snapshot.ServerTokenHash.of("cluster-token"));
    assertThat(Files.readString(node.path("/" + SNAPSHOTS).getParent().resolve(".metadata")
        .resolve(status.snapshotName))).contains("\"tokenHash\": \""
        + dev.k3sbackup.snapshot.ServerTokenHash.of("cluster-token") + "\"");
    assertThat(status.node).isEqualTo("server-1");
    assertThat(status.attempts).isEqualTo(1);
    assertThat(status.progress).as("reported by the agent through the API").isNotNull();
    assertThat(status.progress.bytesDone).isEqualTo(status.size);
    assertThat(status.progress.bytesTotal).isEqualTo(status.size);
    assertThat(Conditions.find(status.conditions, Conditions.READY))
        .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    assertThat(eventReasons("before-upgrade")).contains("SnapshotStarted", "SnapshotSaved");

    var job = cluster.client().batch().v1().jobs().inNamespace(NS).withName(status.jobName).get();
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeName()).isEqualTo("server-1");
    assertThat(pod.getHostNetwork()).isTrue();
    assertThat(pod.getVolumes()).as("besides the host's paths, only a scratch /tmp")
        .filteredOn(v -> v.getHostPath() == null).singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(pod.getVolumes()).filteredOn(v -> v.getHostPath() != null)
        .extracting(v -> v.getHostPath().getPath()).containsExactly(
        "/" + SNAPSHOTS, "/var/lib/rancher/k3s/server/db/.metadata",
        "/var/lib/rancher/k3s/server/tls/etcd", "/var/lib/rancher/k3s/server/token");
    assertThat(pod.getTolerations()).extracting(t -> t.getKey())
        .contains("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/etcd");
  }

  @Test
  void s3SnapshotUploadsWithKeysFromTheSecretAndDeleteRemovesFileAndObject() throws Exception {
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.s3 = s3.storage("backups", "k3s", "s3-keys");
    create("offsite", spec);

    EtcdSnapshot done = awaitPhase("offsite", SnapshotPhase.Succeeded);

    String name = done.getStatus().snapshotName;
    assertThat(done.getStatus().s3.location).isEqualTo("s3://backups/k3s/" + name);
    assertThat(s3.keys("backups")).containsExactly("k3s/.metadata/" + name, "k3s/" + name);
    var job = cluster.client().batch().v1().jobs().inNamespace(NS)
        .withName(done.getStatus().jobName).get();
    String podSpec = io.fabric8.kubernetes.client.utils.Serialization.asYaml(job);
    assertThat(podSpec).doesNotContain(S3Fixture.SECRET_KEY).doesNotContain(b64(S3Fixture.SECRET_KEY));
    assertThat(cluster.kubelet().logs(done.getStatus().jobName)).doesNotContain(S3Fixture.SECRET_KEY);
    assertThat(String.join("\n", done.getStatus().message)).doesNotContain(S3Fixture.SECRET_KEY);

    cluster.client().resource(done).delete();

    await().atMost(Duration.ofSeconds(30)).until(() -> get("offsite") == null);
    assertThat(files(node.path("/" + SNAPSHOTS))).isEmpty();
    assertThat(s3.keys("backups")).isEmpty();
  }

  @Test
  void etcdDownFailsAfterRetriesWithAUsefulMessageAndNoPartialFile() throws Exception {
    EtcdProcess dead = EtcdProcess.start(work.resolve("dead"));
    dead.close();
    cluster.addEtcdNode("server-2", work.resolve("node-server-2"), dead);
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-2";
    create("doomed", spec);

    EtcdSnapshot failed = awaitPhase("doomed", SnapshotPhase.Failed);

    assertThat(failed.getStatus().attempts).isEqualTo(2);
    assertThat(failed.getStatus().message).contains("failed after 2 attempts")
        .contains("cannot reach etcd").contains("create a new EtcdSnapshot");
    assertThat(eventReasons("doomed")).contains("AttemptFailed", "SnapshotFailed");
    assertThat(files(work.resolve("node-server-2/" + SNAPSHOTS))).isEmpty();
  }

  @Test
  void missingSecretIsRefusedWithAConditionAndNothingIsCreated() throws Exception {
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.s3 = new S3Storage();
    spec.s3.bucket = "backups";
    spec.s3.credentials = new S3Credentials();
    spec.s3.credentials.secretName = "nope";
    create("no-keys", spec);

    await().atMost(Duration.ofSeconds(20)).until(() -> get("no-keys").getStatus() != null
        && get("no-keys").getStatus().message != null);

    var status = get("no-keys").getStatus();
    assertThat(status.phase).isEqualTo(SnapshotPhase.Pending);
    assertThat(Conditions.find(status.conditions, Conditions.READY)).hasValueSatisfying(c -> {
      assertThat(c.getReason()).isEqualTo("SecretNotFound");
      assertThat(c.getMessage()).contains("spec.s3.credentials.secretName")
          .contains("Secret 'nope' not found");
    });
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS)
        .withLabel(dev.k3sbackup.api.Labels.SNAPSHOT, "no-keys").list().getItems())
        .isEmpty();
  }

  @Test
  void aFileDeletedWhileTheDirIsBeingListedIsNotAdopted() throws Exception {
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    create("short-lived", spec);
    EtcdSnapshot done = awaitPhase("short-lived", SnapshotPhase.Succeeded);
    cluster.stopOperator(); // from here the test drives the adopter's passes itself
    SnapshotAdopter adopter = new SnapshotAdopter(cluster.client(), cluster.settings());
    adopter.scan(); // starts the listing Job, which lists the file
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.client().batch().v1().jobs()
        .inNamespace(NS).list().getItems().stream()
        .filter(j -> j.getMetadata().getName().startsWith("adopt-scan-"))
        .allMatch(JobState::finished));
    // what the finalizer does on delete: the file goes, then the resource
    Files.delete(node.path(done.getStatus().localPath));
    cluster.client().resource(done).edit(e -> {
      e.getMetadata().setFinalizers(List.of());
      return e;
    });
    cluster.client().resource(done).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> get("short-lived") == null);

    adopter.scan(); // reads the listing taken while the resource still existed

    assertThat(cluster.client().resources(EtcdSnapshot.class).inNamespace(NS).list().getItems())
        .as("no ghost adopted for a file that was deleted with its resource").isEmpty();
  }

  @Test
  void snapshotsK3sMadeAreAdoptedAndDisappearWithTheirFile() throws Exception {
    Path dir = node.path("/" + SNAPSHOTS);
    Files.createDirectories(dir);
    Path k3sFile = dir.resolve("etcd-snapshot-server-1-1700000000");
    dev.k3sbackup.testing.Processes.run(List.of("etcdctl", "--endpoints", etcd.endpoint(),
        "snapshot", "save", k3sFile.toString()), Map.of("ETCDCTL_API", "3"), null)
        .requireSuccess(List.of("etcdctl snapshot save"));

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      EtcdSnapshot adopted = get("server-1-etcd-snapshot-server-1-1700000000");
      assertThat(adopted).isNotNull();
      assertThat(adopted.getStatus()).isNotNull();
      assertThat(adopted.getStatus().adopted).isTrue();
      assertThat(adopted.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
      assertThat(adopted.getStatus().size).isEqualTo(Files.size(k3sFile));
      assertThat(adopted.getStatus().localPath).isEqualTo("/" + SNAPSHOTS + "/"
          + k3sFile.getFileName());
    });
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems())
        .noneMatch(j -> j.getMetadata().getName().contains("-save-"));

    Files.delete(k3sFile);

    await().atMost(Duration.ofSeconds(30))
        .until(() -> get("server-1-etcd-snapshot-server-1-1700000000") == null);
  }

  @Test
  void objectsK3sUploadedToAFolderInUseAreAdoptedAndGoWithTheirObject() throws Exception {
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    var schedule = new dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule();
    schedule.getMetadata().setName("offsite");
    schedule.getMetadata().setNamespace(NS);
    schedule.setSpec(new dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec());
    schedule.getSpec().suspend = true;
    schedule.getSpec().snapshotTemplate = new EtcdSnapshotSpec();
    schedule.getSpec().snapshotTemplate.s3 = s3.storage("backups", "k3s", "s3-keys");
    cluster.client().resource(schedule).create();
    Path file = work.resolve("k3s-made");
    dev.k3sbackup.testing.Processes.run(List.of("etcdctl", "--endpoints", etcd.endpoint(),
        "snapshot", "save", file.toString()), Map.of("ETCDCTL_API", "3"), null)
        .requireSuccess(List.of("etcdctl snapshot save"));
    s3.putAsK3s("backups", "k3s/etcd-snapshot-k3s-node-a-1700000000", file, "k3s-node-a");

    String name = "s3-etcd-snapshot-k3s-node-a-1700000000";
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      EtcdSnapshot adopted = get(name);
      assertThat(adopted).isNotNull();
      assertThat(adopted.getStatus()).isNotNull();
      assertThat(adopted.getStatus().adopted).isTrue();
      assertThat(adopted.getStatus().node).isEqualTo("k3s-node-a");
      assertThat(adopted.getStatus().s3.location)
          .isEqualTo("s3://backups/k3s/etcd-snapshot-k3s-node-a-1700000000");
      assertThat(adopted.getStatus().size).isEqualTo(Files.size(file));
    });

    s3.remove("backups", "k3s/etcd-snapshot-k3s-node-a-1700000000");

    await().atMost(Duration.ofSeconds(30)).until(() -> get(name) == null);
  }

  static String b64(String s) {
    return java.util.Base64.getEncoder().encodeToString(s.getBytes());
  }

}
