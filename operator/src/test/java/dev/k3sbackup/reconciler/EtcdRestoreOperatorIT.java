package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.S3Fixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** EtcdRestore's preflight and dry run through the real operator. */
class EtcdRestoreOperatorIT {

  private static final String NS = OperatorHarness.NAMESPACE;

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;

  @BeforeEach
  void start() throws Exception {
    new S3Fixture(S3_SERVER.getUri()).bucket("unused"); // S3Proxy needs one to shut down
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/a", "1");
    cluster = new OperatorHarness(new MutableClock(Instant.parse("2026-11-21T12:00:00Z")));
    for (String node : new String[] {"server-1", "server-2", "server-3"}) {
      cluster.addEtcdNode(node, work.resolve("node-" + node), etcd);
    }
    cluster.startOperator();
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("good");
    s.getMetadata().setNamespace(NS);
    s.setSpec(spec);
    cluster.client().resource(s).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      EtcdSnapshot g = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName("good").get();
      return g.getStatus() != null && g.getStatus().phase == SnapshotPhase.Succeeded;
    });
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
  }

  private void create(String name, String snapshot, Boolean confirm, Boolean dryRun) {
    create(name, snapshot, confirm, dryRun, null);
  }

  private void create(String name, String snapshot, Boolean confirm, Boolean dryRun,
      java.util.List<String> peers) {
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = snapshot;
    r.getSpec().confirm = confirm;
    r.getSpec().dryRun = dryRun;
    r.getSpec().peers = peers;
    cluster.client().resource(r).create();
  }

  private EtcdRestore awaitPhase(String name, RestorePhase phase) {
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      EtcdRestore r = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
          .withName(name).get();
      return r.getStatus() != null && r.getStatus().phase == phase;
    });
    return cluster.client().resources(EtcdRestore.class).inNamespace(NS).withName(name).get();
  }

  @Test
  void dryRunFillsThePlanAndTouchesNothing() {
    create("what-if", "good", null, true);

    EtcdRestore r = awaitPhase("what-if", RestorePhase.PlanReady);

    var plan = r.getStatus().plan;
    assertThat(plan.server).isEqualTo("server-1");
    assertThat(plan.peers).containsExactly("server-2", "server-3");
    assertThat(plan.snapshotPath).startsWith("/var/lib/rancher/k3s/server/db/snapshots/");
    assertThat(plan.sha256).hasSize(64);
    assertThat(plan.steps).anyMatch(s -> s.startsWith("operator: safety snapshot"))
        .anyMatch(s -> s.startsWith("server server-1: verify, stop, reset, await-peers"))
        .anyMatch(s -> s.startsWith("peer server-3: stop, wipe"));
    assertThat(r.getStatus().history).extracting((PhaseTransition t) -> t.phase)
        .containsExactly(RestorePhase.Pending, RestorePhase.Preflight, RestorePhase.PlanReady);
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems())
        .noneMatch(j -> j.getMetadata().getName().contains("restore"));
  }

  @Test
  void anUnconfirmedRestoreIsRefusedNamingTheField() {
    create("unsure", "good", null, null);

    EtcdRestore r = awaitPhase("unsure", RestorePhase.Failed);

    assertThat(r.getStatus().message).contains("spec.confirm must be true")
        .contains("nothing was touched");
  }

  @Test
  void anUnknownSnapshotIsRefused() {
    create("typo", "goood", true, null);

    assertThat(awaitPhase("typo", RestorePhase.Failed).getStatus().message)
        .contains("EtcdSnapshot 'goood' not found");
  }

  @Test
  void aSingleServerRestoreTakesASafetySnapshotThenBringsBackTheSnapshotsState()
      throws Exception {
    etcd.put("/registry/after", "written after the snapshot");

    create("rollback", "good", true, null, java.util.List.of());

    EtcdRestore r = awaitPhase("rollback", RestorePhase.Succeeded);
    assertThat(r.getStatus().history).extracting((PhaseTransition t) -> t.phase)
        .containsExactly(RestorePhase.Pending, RestorePhase.Preflight,
            RestorePhase.SafetySnapshot, RestorePhase.Restoring, RestorePhase.Succeeded);
    assertThat(etcd.all()).containsKey("/registry/a").doesNotContainKey("/registry/after");
    EtcdSnapshot safety = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName("rollback-safety").get();
    assertThat(safety.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
    assertThat(safety.getStatus().snapshotName).startsWith("pre-restore-server-1-");
    var job = cluster.client().batch().v1().jobs().inNamespace(NS).withName("rollback-server")
        .get().getSpec().getTemplate().getSpec();
    assertThat(job.getHostPID()).isTrue();
    assertThat(job.getContainers().get(0).getSecurityContext().getPrivileged()).isTrue();
    assertThat(job.getNodeName()).isEqualTo("server-1");
  }

  @Test
  void anHaRestoreIsRefusedBeforeAnythingIsTouchedForNow() {
    create("ha", "good", true, null);

    assertThat(awaitPhase("ha", RestorePhase.Failed).getStatus().message)
        .contains("HA restore").contains("nothing was touched");
    assertThat(cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName("ha-safety").get()).isNull();
  }

  @Test
  void aSecondRestoreWhileOneRunsIsRefused() {
    cluster.kubelet().pause(true); // the first restore's safety snapshot waits for its node
    create("first", "good", true, null, java.util.List.of());
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      EtcdRestore r = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
          .withName("first").get();
      return r.getStatus() != null && r.getStatus().phase == RestorePhase.SafetySnapshot;
    });

    create("second", "good", true, null, java.util.List.of());

    assertThat(awaitPhase("second", RestorePhase.Failed).getStatus().message)
        .contains("one operation at a time").contains("EtcdRestore backups/first");
  }
}
