package dev.k3sbackup.monitoring;

import dev.k3sbackup.api.Labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.PrometheusText;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's /metrics, /healthz and /readyz over HTTP, while the real operator takes real
 * snapshots of a real etcd on a fake node: the numbers must be the ones in the resources.
 */
class MetricsIT {

  private static final String NS = OperatorHarness.NAMESPACE;

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;
  private MutableClock clock;

  private void start(boolean etcdAlive) throws Exception {
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/configmaps/default/a", "1");
    if (!etcdAlive) {
      etcd.close();
    }
    clock = new MutableClock(Instant.now());
    cluster = new OperatorHarness(clock);
    cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    cluster.startOperator();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  private int port() {
    return cluster.operator().httpPort();
  }

  private void createSchedule(String name, String cron) {
    EtcdSnapshotSchedule s = new EtcdSnapshotSchedule();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.setSpec(new EtcdSnapshotScheduleSpec());
    s.getSpec().schedule = cron;
    cluster.client().resource(s).create();
  }

  /** Moves the clock just past the next 5-minute mark, so a "* /5" schedule fires. */
  private void nextFiveMinuteMark() {
    Instant now = clock.instant();
    Instant mark = now.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofMinutes(
        (now.atZone(java.time.ZoneOffset.UTC).getMinute() / 5 + 1) * 5L));
    clock.advance(Duration.between(now, mark).plusSeconds(2));
  }

  private EtcdSnapshot awaitChild(String schedule, SnapshotPhase phase) {
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() ->
        children(schedule).stream().anyMatch(c -> c.getStatus() != null
            && c.getStatus().phase == phase));
    return children(schedule).stream().filter(c -> c.getStatus().phase == phase).findFirst()
        .orElseThrow();
  }

  private List<EtcdSnapshot> children(String schedule) {
    return cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withLabel(Labels.SCHEDULE, schedule).list().getItems();
  }

  private static double epochSeconds(String rfc3339) {
    return Instant.parse(rfc3339).toEpochMilli() / 1000.0;
  }

  @Test
  void afterARealSnapshotTheScheduleMetricsAreTheSnapshotsStatus() throws Exception {
    start(true);
    createSchedule("every-5m", "*/5 * * * *");
    nextFiveMinuteMark();

    EtcdSnapshot done = awaitChild("every-5m", SnapshotPhase.Succeeded);

    Map<String, String> labels = Map.of("namespace", NS, "schedule", "every-5m");
    var status = done.getStatus();
    PrometheusText m = PrometheusText.scrape(port());
    assertThat(m.value(BackupMetrics.LAST_SUCCESS, labels))
        .hasValue(epochSeconds(status.completionTime));
    assertThat(m.value(BackupMetrics.SIZE, labels)).hasValue((double) status.size);
    assertThat(status.size).isPositive();
    double took = Duration.between(Instant.parse(status.startTime),
        Instant.parse(status.completionTime)).toNanos() / 1e9;
    assertThat(m.value(BackupMetrics.DURATION, labels)).hasValueSatisfying(d ->
        assertThat(d).isCloseTo(took, org.assertj.core.api.Assertions.within(1e-6)));
    assertThat(m.value(BackupMetrics.INTERVAL, labels)).hasValue(300.0);
    assertThat(m.value(BackupMetrics.FAILURES, labels)).hasValue(0.0);
    assertThat(m.value(BackupMetrics.SUSPENDED, labels)).hasValue(0.0);
    assertThat(m.value(BackupMetrics.LEADER, Map.of())).hasValue(1.0);
    // JOSDK's own, per kind
    assertThat(m.sum("operator_sdk_reconciliations_started_total",
        Map.of("kind", "EtcdSnapshot"))).isPositive();
    assertThat(m.sum("operator_sdk_reconciliations_success_total",
        Map.of("kind", "EtcdSnapshotSchedule"))).isPositive();
    assertThat(m.names()).contains("operator_sdk_controllers_execution_reconcile_seconds_count",
        "jvm_memory_used_bytes");
  }

  @Test
  void aFailedSnapshotCountsAsAFailureOfItsSchedule() throws Exception {
    start(false); // the node's etcd is down: every attempt fails
    createSchedule("doomed", "*/5 * * * *");
    Map<String, String> labels = Map.of("namespace", NS, "schedule", "doomed");
    await().atMost(Duration.ofSeconds(10)).until(() ->
        PrometheusText.scrape(port()).value(BackupMetrics.FAILURES, labels).isPresent());
    assertThat(PrometheusText.scrape(port()).value(BackupMetrics.FAILURES, labels)).hasValue(0.0);
    nextFiveMinuteMark();

    awaitChild("doomed", SnapshotPhase.Failed);

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(PrometheusText.scrape(port()).value(BackupMetrics.FAILURES, labels))
            .hasValue(1.0));
    PrometheusText m = PrometheusText.scrape(port());
    assertThat(m.value(BackupMetrics.LAST_SUCCESS, labels)).as("never succeeded").isEmpty();
    assertThat(m.value(BackupMetrics.CREATED, labels)).hasValueSatisfying(created ->
        assertThat(created).isGreaterThan(Instant.now().minusSeconds(120).getEpochSecond()));
  }

  @Test
  void aRestoresPhaseIsShownAndAFailedOneStandsOut() throws Exception {
    start(true);
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setName("unsure");
    r.getMetadata().setNamespace(NS);
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = "nothing-yet";
    r.getSpec().confirm = false; // refused in preflight: Failed, nothing touched
    cluster.client().resource(r).create();

    await().atMost(Duration.ofSeconds(20)).until(() -> {
      EtcdRestore now = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
          .withName("unsure").get();
      return now.getStatus() != null && now.getStatus().phase == RestorePhase.Failed;
    });

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      PrometheusText m = PrometheusText.scrape(port());
      for (RestorePhase phase : RestorePhase.values()) {
        assertThat(m.value(BackupMetrics.RESTORE_PHASE, Map.of("namespace", NS,
            "restore", "unsure", "phase", phase.name())))
            .as(phase.name()).hasValue(phase == RestorePhase.Failed ? 1.0 : 0.0);
      }
    });
  }

  @Test
  void probesAndMetricsAnswerOverHttp() throws Exception {
    start(true);

    var health = PrometheusText.get(port(), "/healthz");
    var ready = PrometheusText.get(port(), "/readyz");
    var metrics = PrometheusText.get(port(), "/metrics");
    var unknown = PrometheusText.get(port(), "/metricsx");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ok\n");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).hasValue(
        MetricsServer.PROMETHEUS_TEXT);
    assertThat(unknown.statusCode()).isEqualTo(404);

    int port = port();
    cluster.stopOperator();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PrometheusText.get(port, "/healthz"))
        .as("a stopped operator stops serving").isInstanceOf(java.io.IOException.class);
  }
}
