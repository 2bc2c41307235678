package dev.k3sbackup.reconciler;

import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.api.Labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.FakeKubelet;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.S3Fixture;
import io.fabric8.kubernetes.api.model.Condition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Schedules driven by an injected clock through the real operator, with real etcd and S3. */
class EtcdSnapshotScheduleOperatorIT {

  private static final String NS = OperatorHarness.NAMESPACE;
  private static final String SNAPSHOTS = "/var/lib/rancher/k3s/server/db/snapshots";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;
  private MutableClock clock;
  private FakeKubelet.FakeNode node;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket("backups");
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/a", "1");
    clock = new MutableClock(Instant.now());
    cluster = new OperatorHarness(clock);
    node = cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    cluster.startOperator();
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
  }

  private EtcdSnapshotSchedule create(String name, EtcdSnapshotScheduleSpec spec) {
    EtcdSnapshotSchedule s = new EtcdSnapshotSchedule();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.setSpec(spec);
    return cluster.client().resource(s).create();
  }

  private EtcdSnapshotSchedule schedule(String name) {
    return cluster.client().resources(EtcdSnapshotSchedule.class).inNamespace(NS).withName(name)
        .get();
  }

  private List<EtcdSnapshot> children(String schedule) {
    return cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withLabel(Labels.SCHEDULE, schedule).list().getItems();
  }

  private List<String> localFiles() throws Exception {
    Path dir = node.path(SNAPSHOTS);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> f = Files.list(dir)) {
      return f.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private EtcdSnapshotSpec s3Template() {
    EtcdSnapshotSpec t = new EtcdSnapshotSpec();
    t.s3 = s3.storage("backups", "k3s", "s3-keys");
    return t;
  }

  /** Moves the clock to just after the next 10-minute mark and waits for that run to succeed. */
  private void nextRunSucceeds(int expectedRuns) {
    Instant now = clock.instant();
    Instant mark = now.truncatedTo(ChronoUnit.HOURS)
        .plus(Duration.ofMinutes((now.atZone(java.time.ZoneOffset.UTC).getMinute() / 10 + 1) * 10));
    clock.advance(Duration.between(now, mark).plusSeconds(2));
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> {
          EtcdSnapshotSchedule s = schedule("k3s-default");
          assertThat(s.getStatus()).isNotNull();
          assertThat(s.getStatus().lastScheduleTime).isEqualTo(mark.toString());
          assertThat(children("k3s-default")).anySatisfy(c -> {
            assertThat(c.getMetadata().getLabels()).containsEntry(
                Labels.SCHEDULED_MINUTE,
                Long.toString(mark.getEpochSecond() / 60));
            assertThat(c.getStatus()).isNotNull();
            assertThat(c.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
          });
        });
  }

  @Test
  void firesOncePerRunNeverTwiceAcrossARestartAndPrunesToRetention() throws Exception {
    EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
    spec.schedule = "*/10 * * * *";
    spec.retention = 2;
    spec.snapshotTemplate = s3Template();
    create("k3s-default", spec);

    nextRunSucceeds(1);
    nextRunSucceeds(2);
    // A restart in the middle of a run window must not take that run again.
    cluster.stopOperator();
    cluster.startOperator();
    Thread.sleep(2000);
    assertThat(children("k3s-default")).hasSize(2);
    nextRunSucceeds(3);
    nextRunSucceeds(4);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(children("k3s-default")).hasSize(2);
      assertThat(localFiles()).hasSize(2);
      assertThat(s3.keys("backups").stream().filter(k -> !k.contains(".metadata")))
          .hasSize(2);
    });
    List<String> names = children("k3s-default").stream()
        .map(c -> c.getStatus().snapshotName).sorted().toList();
    assertThat(localFiles()).containsExactlyElementsOf(names);
    assertThat(names).allMatch(n -> n.startsWith("k3sbackup-scheduled-server-1-"));
    EtcdSnapshotSchedule s = schedule("k3s-default");
    assertThat(s.getStatus().lastSuccessfulSnapshot).isNotNull();
    assertThat(Instant.parse(s.getStatus().nextScheduleTime)).isAfter(clock.instant());
    assertThat(cluster.client().v1().events().inNamespace(NS).list().getItems())
        .extracting(e -> e.getReason()).contains("SnapshotCreated", "SnapshotPruned");
  }

  @Test
  void s3IsCountedApartAndLocalFilesBeyondRetentionGoWhileTheirS3CopiesStay() throws Exception {
    EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
    spec.schedule = "*/10 * * * *";
    spec.retention = 1;
    spec.s3Retention = 3;
    spec.snapshotTemplate = s3Template();
    create("k3s-default", spec);

    for (int run = 1; run <= 4; run++) {
      nextRunSucceeds(run);
    }

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(children("k3s-default")).hasSize(3);
      assertThat(localFiles()).hasSize(1);
      assertThat(s3.keys("backups").stream().filter(k -> !k.contains(".metadata")))
          .hasSize(3);
      assertThat(children("k3s-default").stream().filter(c -> c.getStatus().localPath != null))
          .hasSize(1);
    });
    EtcdSnapshot newest = children("k3s-default").stream()
        .filter(c -> c.getStatus().localPath != null).findFirst().orElseThrow();
    assertThat(localFiles()).containsExactly(newest.getStatus().snapshotName);
    var retention = schedule("k3s-default").getStatus().retention;
    assertThat(retention.keptCount).isEqualTo(3);
    assertThat(retention.kept.get(0).snapshot).isEqualTo(newest.getMetadata().getName());
    assertThat(retention.kept.get(0).local).isEqualTo("newest 1 of 1");
    assertThat(retention.kept.get(0).s3).isEqualTo("newest 1 of 3");
    assertThat(retention.kept.get(2).local).isNull();
    assertThat(retention.kept.get(2).s3).isEqualTo("newest 3 of 3");
    assertThat(cluster.client().v1().events().inNamespace(NS).list().getItems())
        .extracting(e -> e.getReason()).contains("LocalCopyPruned", "SnapshotPruned");
  }

  @Test
  void s3ObjectsBeyondS3RetentionGoWhileTheirLocalFilesStayAndStatusSaysSo() throws Exception {
    EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
    spec.schedule = "*/10 * * * *";
    spec.retention = 3;
    spec.s3Retention = 1;
    spec.snapshotTemplate = s3Template();
    create("k3s-default", spec);

    for (int run = 1; run <= 3; run++) {
      nextRunSucceeds(run);
    }

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(children("k3s-default")).hasSize(3);
      assertThat(localFiles()).hasSize(3);
      assertThat(s3.keys("backups").stream().filter(k -> !k.contains(".metadata")))
          .hasSize(1);
      assertThat(children("k3s-default").stream().filter(c -> c.getStatus().s3 != null))
          .hasSize(1);
    });
    List<EtcdSnapshot> children = children("k3s-default");
    EtcdSnapshot newest = children.stream().filter(c -> c.getStatus().s3 != null).findFirst()
        .orElseThrow();
    // the one object left is the newest run's, and its sidecar went with each pruned object
    assertThat(s3.keys("backups")).filteredOn(k -> !k.contains(".metadata"))
        .singleElement().asString().endsWith(newest.getStatus().snapshotName);
    assertThat(s3.keys("backups")).filteredOn(k -> k.contains(".metadata")).hasSize(1);
    assertThat(children).filteredOn(c -> c.getStatus().s3 == null).hasSize(2).allSatisfy(c -> {
      assertThat(c.getStatus().localPath).isNotNull();
      assertThat(c.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
      Condition uploaded = c.getStatus().conditions.stream()
          .filter(k -> Conditions.UPLOADED.equals(k.getType())).findFirst().orElseThrow();
      assertThat(uploaded.getStatus()).isEqualTo("False");
      assertThat(uploaded.getReason()).isEqualTo("PrunedByRetention");
      assertThat(uploaded.getMessage()).contains("deleted", "the local copy", "stays");
      assertThat(c.getStatus().conditions).extracting(Condition::getType).doesNotHaveDuplicates();
    });
    var retention = schedule("k3s-default").getStatus().retention;
    assertThat(retention.keptCount).isEqualTo(3);
    assertThat(retention.kept.get(0).s3).isEqualTo("newest 1 of 1");
    assertThat(retention.kept.get(2).s3).isNull();
    assertThat(retention.kept.get(2).local).isEqualTo("newest 3 of 3");
    assertThat(cluster.client().v1().events().inNamespace(NS).list().getItems())
        .extracting(e -> e.getReason()).contains("S3CopyPruned").doesNotContain("SnapshotPruned");
  }

  @Test
  void everyNodeTakesItsOwnSnapshotAndMissedRunsAreTakenOnce() throws Exception {
    EtcdProcess etcd2 = EtcdProcess.start(work.resolve("second"));
    try {
      FakeKubelet.FakeNode node2 = cluster.addEtcdNode("server-2", work.resolve("node-server-2"),
          etcd2);
      EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
      spec.schedule = "*/10 * * * *";
      spec.nodeSelection = dev.k3sbackup.api.v1alpha1.NodeSelection.Every;
      create("k3s-default", spec);

      nextRunSucceeds(1);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(children("k3s-default")).hasSize(2).allSatisfy(c -> {
            assertThat(c.getStatus()).isNotNull();
            assertThat(c.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
          }));
      assertThat(children("k3s-default")).extracting(c -> c.getSpec().node)
          .containsExactlyInAnyOrder("server-1", "server-2");
      assertThat(localFiles()).hasSize(1);
      try (Stream<Path> f = Files.list(node2.path(SNAPSHOTS))) {
        assertThat(f).hasSize(1);
      }

      // The operator is down for three runs; on return it takes one, for the latest.
      cluster.stopOperator();
      clock.advance(Duration.ofMinutes(35));
      cluster.startOperator();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(children("k3s-default")).hasSize(4));
      Thread.sleep(1500);
      assertThat(children("k3s-default")).hasSize(4);
      assertThat(cluster.client().v1().events().inNamespace(NS).list().getItems())
          .extracting(e -> e.getReason()).contains("MissedRunTaken");
    } finally {
      etcd2.close();
    }
  }

  @Test
  void invalidInputIsRefusedWithAConditionNamingTheFieldAndNothingIsCreated() {
    EtcdSnapshotScheduleSpec neverFires = new EtcdSnapshotScheduleSpec();
    neverFires.schedule = "0 0 30 2 *";
    create("never", neverFires);
    EtcdSnapshotScheduleSpec badCron = new EtcdSnapshotScheduleSpec();
    badCron.schedule = "61 * * * *";
    create("bad-cron", badCron);
    EtcdSnapshotScheduleSpec noRetention = new EtcdSnapshotScheduleSpec();
    noRetention.retention = 0;
    create("keep-none", noRetention);
    EtcdSnapshotScheduleSpec noSecret = new EtcdSnapshotScheduleSpec();
    noSecret.snapshotTemplate = s3Template();
    noSecret.snapshotTemplate.s3.credentials.secretName = "missing";
    create("no-secret", noSecret);
    EtcdSnapshotScheduleSpec mars = new EtcdSnapshotScheduleSpec();
    mars.timeZone = "Mars/Olympus_Mons";
    create("on-mars", mars);
    EtcdSnapshotScheduleSpec elsewhere = new EtcdSnapshotScheduleSpec();
    elsewhere.snapshotTemplate = new EtcdSnapshotSpec();
    elsewhere.snapshotTemplate.local = new dev.k3sbackup.api.v1alpha1.LocalStorage();
    elsewhere.snapshotTemplate.local.dir = "/srv/elsewhere";
    create("outside-the-data-dir", elsewhere);
    EtcdSnapshotScheduleSpec otherDataDir = new EtcdSnapshotScheduleSpec();
    otherDataDir.snapshotTemplate = new EtcdSnapshotSpec();
    otherDataDir.snapshotTemplate.local = new dev.k3sbackup.api.v1alpha1.LocalStorage();
    otherDataDir.snapshotTemplate.local.dataDir = "/opt/k3s";
    create("another-data-dir", otherDataDir);
    cluster.client().secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model
        .SecretBuilder().withNewMetadata().withName("keyless").endMetadata()
        .addToData("other", "eA==").build()).create();
    EtcdSnapshotScheduleSpec keyless = new EtcdSnapshotScheduleSpec();
    keyless.snapshotTemplate = s3Template();
    keyless.snapshotTemplate.s3.credentials.secretName = "keyless";
    create("keyless", keyless);
    EtcdSnapshotScheduleSpec noCa = new EtcdSnapshotScheduleSpec();
    noCa.snapshotTemplate = new EtcdSnapshotSpec();
    noCa.snapshotTemplate.s3 = new dev.k3sbackup.api.v1alpha1.S3Storage();
    noCa.snapshotTemplate.s3.bucket = "backups";
    noCa.snapshotTemplate.s3.endpointCA = new dev.k3sbackup.api.v1alpha1.KeyReference();
    noCa.snapshotTemplate.s3.endpointCA.configMapName = "minio-ca";
    noCa.snapshotTemplate.s3.endpointCA.key = "ca.crt";
    create("no-ca", noCa);

    assertRefused("never", "ScheduleNeverFires", "spec.schedule '0 0 30 2 *' never fires");
    assertRefused("on-mars", "InvalidTimeZone", "spec.timeZone 'Mars/Olympus_Mons' is not an "
        + "IANA time zone");
    assertRefused("outside-the-data-dir", "DirNotAllowed", "spec.snapshotTemplate.local.dir "
        + "'/srv/elsewhere' lies outside the dirs this operator may write as root");
    assertRefused("another-data-dir", "DirNotAllowed", "spec.snapshotTemplate.local.dataDir "
        + "'/opt/k3s' is not a K3s data dir this operator may use");
    assertRefused("keyless", "SecretKeyNotFound", "spec.snapshotTemplate.s3.credentials"
        + ".secretName: Secret 'keyless' has no key AWS_ACCESS_KEY_ID");
    assertRefused("no-ca", "CANotFound", "spec.snapshotTemplate.s3.endpointCA: ConfigMap "
        + "'minio-ca' not found");
    assertRefused("bad-cron", "InvalidSchedule", "spec.schedule '61 * * * *'");
    assertRefused("keep-none", "InvalidRetention", "spec.retention 0");
    assertRefused("no-secret", "SecretNotFound",
        "spec.snapshotTemplate.s3.credentials.secretName: Secret 'missing' not found");
    clock.advance(Duration.ofHours(13));
    assertThat(cluster.client().resources(EtcdSnapshot.class).inNamespace(NS).list().getItems())
        .isEmpty();
  }

  private void assertRefused(String name, String reason, String message) {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      EtcdSnapshotSchedule s = schedule(name);
      assertThat(s.getStatus()).isNotNull();
      Condition ready = Conditions.find(s.getStatus().conditions, Conditions.READY).orElseThrow();
      assertThat(ready.getStatus()).isEqualTo("False");
      assertThat(ready.getReason()).isEqualTo(reason);
      assertThat(ready.getMessage()).contains(message);
      assertThat(s.getStatus().nextScheduleTime).isNull();
    });
  }
}
