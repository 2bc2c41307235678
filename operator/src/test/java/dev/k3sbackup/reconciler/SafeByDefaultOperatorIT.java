package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.S3Credentials;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.FakeKubelet;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.PrometheusText;
import dev.k3sbackup.testing.S3Fixture;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safe defaults of issue 12, through the real operator on fake nodes with real etcd and S3:
 * a copy that vanished is shown (condition, Event, metric) and not restored from; K3s's own
 * schedule is read from the node's annotation and files and shown on the schedule; a schedule
 * that fires every minute is allowed with a warning; a save whose node is not Ready moves to
 * another node when the operator chose it, and is not retried there otherwise; unknown and
 * etcd-less nodes are refused; a Pending snapshot without a node does not stop adoption; S3
 * down still leaves a verified local snapshot; resources of other namespaces are left alone.
 */
class SafeByDefaultOperatorIT {

  private static final String NS = OperatorHarness.NAMESPACE;
  private static final String SNAPSHOTS = "var/lib/rancher/k3s/server/db/snapshots";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private EtcdProcess etcd2;
  private OperatorHarness cluster;
  private FakeKubelet.FakeNode node;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket("backups");
    etcd = EtcdProcess.start(work.resolve("etcd-1"));
    etcd.put("/registry/configmaps/default/a", "1");
    cluster = new OperatorHarness(new MutableClock(Instant.parse("2026-11-21T12:00:00Z")));
    node = cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    cluster.allowProgressReports();
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
    if (etcd2 != null) {
      etcd2.close();
    }
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

  private List<Event> events(String name) {
    return cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
  }

  private Optional<Condition> condition(EtcdSnapshotSchedule s, String type) {
    EtcdSnapshotSchedule now = cluster.client().resource(s).get();
    return now == null || now.getStatus() == null ? Optional.empty()
        : Conditions.find(now.getStatus().conditions, type);
  }

  private EtcdSnapshotSchedule schedule(String name, String cron) {
    EtcdSnapshotSchedule s = new EtcdSnapshotSchedule();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.setSpec(new EtcdSnapshotScheduleSpec());
    s.getSpec().schedule = cron;
    s.getSpec().suspend = true;
    return cluster.client().resource(s).create();
  }

  private void setReady(String nodeName, boolean ready) {
    cluster.client().nodes().withName(nodeName).editStatus(n -> {
      n.getStatus().getConditions().forEach(c -> {
        if ("Ready".equals(c.getType())) {
          c.setStatus(ready ? "True" : "False");
        }
      });
      return n;
    });
  }

  @Test
  void aVanishedFileIsShownCountedAndARestoreFromItIsRefusedWithTheReason() throws Exception {
    cluster.startOperator();
    create("kept", new EtcdSnapshotSpec());
    EtcdSnapshot done = awaitPhase("kept", SnapshotPhase.Succeeded);
    Path file = node.path(done.getStatus().localPath);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Conditions.find(
        get("kept").getStatus().conditions, "Available")).hasValueSatisfying(c ->
        assertThat(c.getStatus()).isEqualTo("True")));

    Files.delete(file); // by hand, or by K3s's retention had it shared K3s's prefix

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Condition c = Conditions.find(get("kept").getStatus().conditions, "Available")
          .orElseThrow();
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("FileMissing");
      assertThat(c.getMessage()).contains("the file " + done.getStatus().localPath
          + " on node server-1 is gone");
    });
    // the status is written first, then the event is posted and the gauge read: wait for both
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(events("kept")).anySatisfy(e -> {
        assertThat(e.getReason()).isEqualTo("SnapshotMissing");
        assertThat(e.getType()).isEqualTo("Warning");
      });
      PrometheusText metrics = PrometheusText.parse(cluster.operator().scrape());
      assertThat(metrics.value("k3s_etcd_backup_snapshots_missing",
          Map.of("namespace", NS, "schedule", ""))).hasValue(1.0);
    });

    EtcdRestore restore = new EtcdRestore();
    restore.getMetadata().setName("back");
    restore.getMetadata().setNamespace(NS);
    restore.setSpec(new EtcdRestoreSpec());
    restore.getSpec().snapshot = "kept";
    restore.getSpec().confirm = true;
    cluster.client().resource(restore).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      EtcdRestore r = cluster.client().resource(restore).get();
      assertThat(r.getStatus()).isNotNull();
      assertThat(r.getStatus().phase).isEqualTo(RestorePhase.Failed);
      assertThat(r.getStatus().message).contains("preflight refused the restore, nothing was "
          + "touched: spec.snapshot: EtcdSnapshot 'kept': the file").contains("is gone");
    });
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems())
        .noneMatch(j -> j.getMetadata().getName().startsWith("back-"));
  }

  @Test
  void k3sOwnScheduleIsReadFromTheNodesFilesAndItsNodeArgsAndShownWithTheAdvice()
      throws Exception {
    cluster.startOperator();
    EtcdSnapshotSchedule s = schedule("nightly", "0 */12 * * *");

    // no config.yaml, no unit, no annotation: K3s's default, snapshots on
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(s,
        "K3sSnapshots")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("True");
          assertThat(c.getReason()).isEqualTo("K3sScheduleOn");
          assertThat(c.getMessage()).contains("'0 */12 * * *', prefix etcd-snapshot, 5 kept")
              .contains("do not overlap").contains("etcd-disable-snapshots: true");
        }));

    Path dropIns = node.path("/etc/rancher/k3s/config.yaml.d");
    Files.createDirectories(dropIns);
    Files.writeString(node.path("/etc/rancher/k3s/config.yaml"), "cluster-init: true\n");
    Files.writeString(dropIns.resolve("90-backups.yaml"), "etcd-disable-snapshots: true\n");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(s,
        "K3sSnapshots")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("K3sScheduleOff");
        }));

    // the running server's own word wins: K3s's annotation of its arguments
    cluster.client().nodes().withName("server-1").edit(n -> {
      n.getMetadata().setAnnotations(Map.of("k3s.io/node-args",
          "[\"server\",\"--cluster-init\",\"true\",\"--etcd-snapshot-name\",\"etcd-snapshot\"]"));
      return n;
    });
    EtcdSnapshotSchedule colliding = schedule("colliding", "0 3 * * *");
    colliding.getSpec().snapshotTemplate = new EtcdSnapshotSpec();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(s,
        "K3sSnapshots")).hasValueSatisfying(c -> {
          assertThat(c.getReason()).isEqualTo("K3sScheduleOn");
          assertThat(c.getMessage()).contains("node annotation k3s.io/node-args");
        }));
  }

  @Test
  void aScheduleOfOursSharingK3sPrefixIsWarnedAbout() {
    cluster.startOperator();
    EtcdSnapshotSchedule s = new EtcdSnapshotSchedule();
    s.getMetadata().setName("old-style");
    s.getMetadata().setNamespace(NS);
    s.setSpec(new EtcdSnapshotScheduleSpec());
    s.getSpec().suspend = true;
    s.getSpec().snapshotTemplate = new EtcdSnapshotSpec();
    s.getSpec().snapshotTemplate.namePrefix = "etcd-snapshot";
    cluster.client().resource(s).create();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(s,
        "K3sSnapshots")).hasValueSatisfying(c -> {
          assertThat(c.getReason()).isEqualTo("PrefixCollides");
          assertThat(c.getMessage()).contains("K3s's retention would delete this schedule's "
              + "snapshots").contains("spec.snapshotTemplate.namePrefix");
        }));
    assertThat(events("old-style")).anySatisfy(e -> assertThat(e.getReason())
        .isEqualTo("PrefixCollides"));
  }

  @Test
  void aScheduleThatFiresEveryMinuteIsAllowedWithAWarningCondition() {
    cluster.startOperator();
    EtcdSnapshotSchedule s = schedule("every-minute", "* * * * *");

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(condition(s, "Warning")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("FrequentSchedule");
        assertThat(c.getMessage()).startsWith("spec.schedule '* * * * *' fires every 1 "
            + "minute(s)").contains("allowed");
      });
      assertThat(condition(s, Conditions.READY)).hasValueSatisfying(c ->
          assertThat(c.getStatus()).isEqualTo("True"));
    });
    EtcdSnapshotSchedule daily = schedule("daily", "0 3 * * *");
    await().atMost(Duration.ofSeconds(30)).until(() -> condition(daily, Conditions.READY)
        .isPresent());
    assertThat(condition(daily, "Warning")).isEmpty();
  }

  @Test
  void aSaveOnANodeThatStopsBeingReadyMovesToAnotherEtcdNodeWhenTheOperatorChoseIt()
      throws Exception {
    etcd2 = EtcdProcess.start(work.resolve("etcd-2"));
    etcd2.put("/registry/configmaps/default/b", "2");
    cluster.addEtcdNode("server-2", work.resolve("node-server-2"), etcd2);
    cluster.kubelet().kubeletRuns(n -> !n.equals("server-1")); // server-1 is going down
    cluster.startOperator();
    create("any-node", new EtcdSnapshotSpec());
    await().atMost(Duration.ofSeconds(30)).until(() -> get("any-node").getStatus() != null
        && "server-1".equals(get("any-node").getStatus().node)
        && get("any-node").getStatus().jobName != null);

    setReady("server-1", false);

    EtcdSnapshot done = awaitPhase("any-node", SnapshotPhase.Succeeded);
    assertThat(done.getStatus().node).isEqualTo("server-2");
    assertThat(done.getStatus().attempts).isEqualTo(2);
    assertThat(done.getStatus().snapshotName).startsWith("k3sbackup-on-demand-server-2-");
    assertThat(events("any-node")).anySatisfy(e -> {
      assertThat(e.getReason()).isEqualTo("NodeNotReady");
      assertThat(e.getMessage()).contains("node server-1 has not been Ready")
          .contains("attempt 2 runs on node server-2");
    });
  }

  @Test
  void aSaveOnANamedNodeThatIsNotReadyIsNotRetriedThere() throws Exception {
    cluster.kubelet().kubeletRuns(n -> !n.equals("server-1"));
    cluster.startOperator();
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    create("pinned", spec);
    await().atMost(Duration.ofSeconds(30)).until(() -> get("pinned").getStatus() != null
        && get("pinned").getStatus().jobName != null);

    setReady("server-1", false);

    EtcdSnapshot failed = awaitPhase("pinned", SnapshotPhase.Failed);
    assertThat(failed.getStatus().attempts).isEqualTo(1);
    assertThat(failed.getStatus().message).contains("node server-1 has not been Ready")
        .contains("not retried there: spec.node names it");
  }

  @Test
  void unknownNodesAndNodesWithoutEtcdAreRefusedNamingTheField() throws Exception {
    cluster.kubelet().addNode(new FakeKubelet.FakeNode("agent-1", work.resolve("agent-1"),
        Map.of("kubernetes.io/os", "linux"), Map.of()));
    cluster.startOperator();
    EtcdSnapshotSpec unknown = new EtcdSnapshotSpec();
    unknown.node = "server-9";
    create("to-nowhere", unknown);
    EtcdSnapshotSpec agent = new EtcdSnapshotSpec();
    agent.node = "agent-1";
    create("to-an-agent", agent);

    assertThat(awaitPhase("to-nowhere", SnapshotPhase.Failed).getStatus().message)
        .startsWith("refused: spec.node: no node is named 'server-9'")
        .contains("kubectl get nodes -l node-role.kubernetes.io/etcd=true");
    assertThat(awaitPhase("to-an-agent", SnapshotPhase.Failed).getStatus().message)
        .startsWith("refused: spec.node: node 'agent-1' holds no etcd");
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems())
        .noneMatch(j -> j.getMetadata().getName().startsWith("to-"));
  }

  @Test
  void aPendingSnapshotWithoutANodeDoesNotStopAdoptionOnTheNodes() throws Exception {
    cluster.startOperator();
    EtcdSnapshotSpec waiting = new EtcdSnapshotSpec();
    waiting.s3 = new S3Storage();
    waiting.s3.bucket = "backups";
    waiting.s3.credentials = new S3Credentials();
    waiting.s3.credentials.secretName = "not-yet";
    create("waiting-for-its-secret", waiting);
    await().atMost(Duration.ofSeconds(30)).until(() -> get("waiting-for-its-secret")
        .getStatus() != null && get("waiting-for-its-secret").getStatus().message != null);
    assertThat(get("waiting-for-its-secret").getStatus().node).isNull();

    Path dir = node.path("/" + SNAPSHOTS);
    Files.createDirectories(dir);
    Path k3sFile = dir.resolve("etcd-snapshot-server-1-1700000000");
    Processes.run(List.of("etcdctl", "--endpoints", etcd.endpoint(), "snapshot", "save",
        k3sFile.toString()), Map.of("ETCDCTL_API", "3"), null)
        .requireSuccess(List.of("etcdctl snapshot save"));

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(get("server-1-etcd-snapshot-server-1-1700000000")).isNotNull());
    assertThat(get("waiting-for-its-secret").getStatus().phase).isEqualTo(SnapshotPhase.Pending);
  }

  @Test
  void s3DownStillLeavesAVerifiedLocalSnapshotAndSaysWhyTheUploadFailed() throws Exception {
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    cluster.startOperator();
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.s3 = s3.storage("backups", "k3s", "s3-keys");
    spec.s3.endpoint = "127.0.0.1:" + Processes.freePort(); // nothing listens: S3 is down
    create("offsite", spec);

    EtcdSnapshot done = awaitPhase("offsite", SnapshotPhase.Succeeded);

    Path file = node.path(done.getStatus().localPath);
    assertThat(file).isRegularFile();
    assertThat(done.getStatus().sha256).isEqualTo(dev.k3sbackup.testing.Hashes.sha256(file));
    assertThat(done.getStatus().s3).isNull();
    assertThat(Conditions.find(done.getStatus().conditions, Conditions.UPLOADED))
        .hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("UploadFailed");
          assertThat(c.getMessage()).contains("the S3 upload was not attempted")
              .contains("the local copy is kept");
        });
    assertThat(done.getStatus().message).contains("the S3 upload failed");
    assertThat(events("offsite")).anySatisfy(e -> assertThat(e.getReason())
        .isEqualTo("UploadFailed"));
  }

  @Test
  void snapshotsInOtherNamespacesAreLeftAlone() throws Exception {
    cluster.startOperator();
    EtcdSnapshot elsewhere = new EtcdSnapshot();
    elsewhere.getMetadata().setName("exfiltrate");
    elsewhere.getMetadata().setNamespace("team-a");
    elsewhere.setSpec(new EtcdSnapshotSpec());
    cluster.client().resource(elsewhere).create();
    create("mine", new EtcdSnapshotSpec());

    awaitPhase("mine", SnapshotPhase.Succeeded);
    Thread.sleep(2000);

    assertThat(cluster.client().resource(elsewhere).get().getStatus()).isNull();
    assertThat(cluster.client().batch().v1().jobs().inAnyNamespace().list().getItems())
        .allMatch(j -> j.getMetadata().getNamespace().equals(NS))
        .noneMatch(j -> j.getMetadata().getName().contains("exfiltrate"));
  }
}
