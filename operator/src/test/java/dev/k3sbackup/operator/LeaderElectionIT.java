package dev.k3sbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.PrometheusText;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two operator replicas against one API (the test server keeps a Lease's resourceVersion and
 * refuses a stale update, which is all Lease-based election needs): one leads and reconciles,
 * the other stands by, ready; when the leader stops, the standby takes over and reconciles.
 */
class LeaderElectionIT {

  private static final String NS = OperatorHarness.NAMESPACE;
  private static final String LEASE = ProcessSettings.DEFAULT_LEASE;
  private static final String STARTED = "operator_sdk_reconciliations_started_total";

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;

  @BeforeEach
  void start() throws Exception {
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/configmaps/default/a", "1");
    cluster = new OperatorHarness(new MutableClock(Instant.now()));
    cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    cluster.allowLeases();
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
  }

  /** Short timings so a takeover happens within seconds; the JVM stays when a lease is lost. */
  private static ProcessSettings replica(String identity) {
    return new ProcessSettings(0, Optional.of(new ProcessSettings.LeaderElection(LEASE, NS,
        identity, Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(250),
        false)));
  }

  private void snapshotSucceeds(String name) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.setSpec(new EtcdSnapshotSpec());
    cluster.client().resource(s).create();
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
      EtcdSnapshot now = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName(name).get();
      return now.getStatus() != null && now.getStatus().phase == SnapshotPhase.Succeeded;
    });
  }

  private String holder() {
    Lease lease = cluster.client().leases().inNamespace(NS).withName(LEASE).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static double reconciles(RunningOperator replica) throws Exception {
    return PrometheusText.scrape(replica.httpPort()).sum(STARTED, Map.of());
  }

  private static double leaderGauge(RunningOperator replica) throws Exception {
    return PrometheusText.scrape(replica.httpPort()).value("k3s_etcd_backup_leader", Map.of())
        .orElseThrow();
  }

  @Test
  void onlyTheLeaderReconcilesAndTheStandbyTakesOverWhenItStops() throws Exception {
    RunningOperator a = cluster.startReplica(replica("replica-a"));
    await().atMost(Duration.ofSeconds(10)).until(a::leading);
    RunningOperator b = cluster.startReplica(replica("replica-b"));

    snapshotSucceeds("while-a-leads");

    assertThat(holder()).isEqualTo("replica-a");
    assertThat(b.leading()).isFalse();
    assertThat(a.adopting()).as("the leader scans for snapshots to adopt").isTrue();
    assertThat(b.adopting()).as("the standby does not").isFalse();
    assertThat(reconciles(a)).as("the leader reconciled").isPositive();
    assertThat(reconciles(b)).as("the standby reconciled nothing").isZero();
    assertThat(leaderGauge(a)).isEqualTo(1.0);
    assertThat(leaderGauge(b)).isEqualTo(0.0);
    for (RunningOperator r : new RunningOperator[] {a, b}) {
      assertThat(PrometheusText.get(r.httpPort(), "/readyz").statusCode())
          .as("both replicas are ready: the standby's caches are in sync").isEqualTo(200);
    }

    a.close();
    await().atMost(Duration.ofSeconds(15)).until(b::leading);
    assertThat(holder()).isEqualTo("replica-b");
    snapshotSucceeds("after-b-took-over");

    assertThat(reconciles(b)).as("the new leader reconciles").isPositive();
    assertThat(b.adopting()).isTrue();
    assertThat(leaderGauge(b)).isEqualTo(1.0);
  }
}
