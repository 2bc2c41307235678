package dev.k3sbackup.monitoring;

import dev.k3sbackup.api.Labels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The backup metrics computed from resources, as Prometheus reads them. */
class BackupMetricsTest {

  private static final Instant NOW = Instant.parse("2026-11-21T12:07:00Z");
  private static final Map<String, String> DAILY = Map.of("namespace", "ns", "schedule", "daily");

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final BackupMetrics metrics = new BackupMetrics(registry);

  static EtcdSnapshotSchedule schedule(String name, String cron, boolean suspend) {
    EtcdSnapshotSchedule s = new EtcdSnapshotSchedule();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace("ns");
    s.getMetadata().setCreationTimestamp("2026-11-20T08:00:00Z");
    s.setSpec(new EtcdSnapshotScheduleSpec());
    s.getSpec().schedule = cron;
    s.getSpec().suspend = suspend;
    return s;
  }

  static EtcdSnapshot child(String schedule, String name, SnapshotPhase phase, String start,
      String done, long size) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace("ns");
    s.getMetadata().setLabels(Map.of(Labels.SCHEDULE, schedule));
    s.setStatus(new EtcdSnapshotStatus());
    s.getStatus().phase = phase;
    s.getStatus().startTime = start;
    s.getStatus().completionTime = done;
    s.getStatus().size = size;
    return s;
  }

  private PrometheusText scrape() {
    return PrometheusText.parse(registry.scrape());
  }

  @Test
  void lastSuccessSizeAndDurationComeFromTheNewestSucceededSnapshot() {
    metrics.refresh(List.of(schedule("daily", "0 */12 * * *", false)), List.of(
        child("daily", "old", SnapshotPhase.Succeeded, "2026-11-20T12:00:01Z",
            "2026-11-20T12:00:03Z", 1000),
        child("daily", "new", SnapshotPhase.Succeeded, "2026-11-21T00:00:01Z",
            "2026-11-21T00:00:05.500Z", 2048),
        child("daily", "broken", SnapshotPhase.Failed, "2026-11-21T12:00:01Z",
            "2026-11-21T12:01:00Z", 0),
        child("other", "elsewhere", SnapshotPhase.Succeeded, "2026-11-21T12:00:01Z",
            "2026-11-21T12:00:02Z", 7)), List.of(), NOW);

    PrometheusText m = scrape();
    assertThat(m.value(BackupMetrics.LAST_SUCCESS, DAILY))
        .hasValue((double) Instant.parse("2026-11-21T00:00:05.500Z").toEpochMilli() / 1000);
    assertThat(m.value(BackupMetrics.SIZE, DAILY)).hasValue(2048.0);
    assertThat(m.value(BackupMetrics.DURATION, DAILY)).hasValue(4.5);
    assertThat(m.value(BackupMetrics.CREATED, DAILY)).hasValue(
        (double) Instant.parse("2026-11-20T08:00:00Z").getEpochSecond());
    assertThat(m.value(BackupMetrics.INTERVAL, DAILY)).hasValue(12 * 3600.0);
    assertThat(m.value(BackupMetrics.SUSPENDED, DAILY)).hasValue(0.0);
    assertThat(m.value(BackupMetrics.FAILURES, DAILY)).as("present at 0 before any failure")
        .hasValue(0.0);
    assertThat(m.value(BackupMetrics.LAST_SUCCESS, Map.of("schedule", "other")))
        .as("only schedules that exist").isEmpty();
  }

  @Test
  void aScheduleWithoutSuccessHasNoLastSuccessButItsCreationTime() {
    metrics.refresh(List.of(schedule("daily", "*/5 * * * *", false)), List.of(
        child("daily", "broken", SnapshotPhase.Failed, "2026-11-21T12:00:01Z",
            "2026-11-21T12:01:00Z", 0)), List.of(), NOW);

    PrometheusText m = scrape();
    assertThat(m.value(BackupMetrics.LAST_SUCCESS, DAILY)).isEmpty();
    assertThat(m.value(BackupMetrics.CREATED, DAILY)).isPresent();
    assertThat(m.value(BackupMetrics.INTERVAL, DAILY)).hasValue(300.0);
  }

  @Test
  void aSuspendedScheduleHasNoIntervalSoItNeverCountsAsLate() {
    metrics.refresh(List.of(schedule("daily", "0 */12 * * *", true)), List.of(), List.of(), NOW);

    PrometheusText m = scrape();
    assertThat(m.value(BackupMetrics.SUSPENDED, DAILY)).hasValue(1.0);
    assertThat(m.value(BackupMetrics.INTERVAL, DAILY)).isEmpty();
  }

  @Test
  void aDeletedScheduleDisappearsFromTheGauges() {
    var s = schedule("daily", "0 */12 * * *", false);
    metrics.refresh(List.of(s), List.of(), List.of(), NOW);
    metrics.refresh(List.of(), List.of(), List.of(), NOW);
    metrics.scheduleGone(s);

    assertThat(scrape().names()).noneMatch(n -> n.startsWith("k3s_etcd_backup_schedule_"))
        .doesNotContain(BackupMetrics.FAILURES);
  }

  @Test
  void failuresCountPerScheduleAndOneOffsHaveAnEmptyScheduleLabel() {
    metrics.snapshotFailed(child("daily", "a", SnapshotPhase.Failed, null, null, 0));
    metrics.snapshotFailed(child("daily", "b", SnapshotPhase.Failed, null, null, 0));
    EtcdSnapshot oneOff = child("x", "c", SnapshotPhase.Failed, null, null, 0);
    oneOff.getMetadata().setLabels(null);
    metrics.snapshotFailed(oneOff);

    PrometheusText m = scrape();
    assertThat(m.value(BackupMetrics.FAILURES, DAILY)).hasValue(2.0);
    assertThat(m.value(BackupMetrics.FAILURES, Map.of("namespace", "ns", "schedule", "")))
        .hasValue(1.0);
  }

  @Test
  void restorePhaseIsOneForTheCurrentPhaseAndZeroForTheOthers() {
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setName("back");
    r.getMetadata().setNamespace("ns");
    r.setStatus(new EtcdRestoreStatus());
    r.getStatus().phase = RestorePhase.Failed;
    metrics.refresh(List.of(), List.of(), List.of(r), NOW);

    PrometheusText m = scrape();
    for (RestorePhase phase : RestorePhase.values()) {
      assertThat(m.value(BackupMetrics.RESTORE_PHASE, Map.of("namespace", "ns", "restore", "back",
          "phase", phase.name()))).as(phase.name())
          .hasValue(phase == RestorePhase.Failed ? 1.0 : 0.0);
    }
  }

  @Test
  void leaderIsOneOnlyWhileLeading() {
    assertThat(scrape().value(BackupMetrics.LEADER, Map.of())).hasValue(0.0);
    metrics.leader(true);
    assertThat(scrape().value(BackupMetrics.LEADER, Map.of())).hasValue(1.0);
  }
}
