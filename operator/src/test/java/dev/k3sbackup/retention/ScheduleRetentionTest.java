package dev.k3sbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.DrillPhase;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.api.v1alpha1.SnapshotDrill;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.retention.ScheduleRetention.Action;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A schedule's retention over its EtcdSnapshots: local and S3 counted apart, and why. */
class ScheduleRetentionTest {

  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  private static EtcdSnapshot run(Instant t, boolean s3) {
    String file = "k3sbackup-scheduled-s1-" + t.getEpochSecond();
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("nightly-" + t.getEpochSecond() / 60);
    s.setStatus(new EtcdSnapshotStatus());
    s.getStatus().phase = SnapshotPhase.Succeeded;
    s.getStatus().node = "s1";
    s.getStatus().snapshotName = file;
    s.getStatus().localPath = "/var/lib/rancher/k3s/server/db/snapshots/" + file;
    if (s3) {
      s.getStatus().s3 = S3Location.of("backups", "k3s/" + file, "s3://backups/k3s/" + file,
          null);
    }
    return s;
  }

  private static EtcdSnapshotScheduleSpec spec(int retention, Integer s3Retention) {
    EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
    spec.retention = retention;
    spec.s3Retention = s3Retention;
    spec.snapshotTemplate = new EtcdSnapshotSpec();
    spec.snapshotTemplate.s3 = new S3Storage();
    return spec;
  }

  /** {@code n} runs, one a day, newest first. */
  private static List<EtcdSnapshot> daily(int n) {
    List<EtcdSnapshot> runs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      runs.add(run(NOW.minus(Duration.ofDays(i)), true));
    }
    return runs;
  }

  private static Map<String, Action> actions(ScheduleRetention.Plan plan) {
    Map<String, Action> m = new java.util.LinkedHashMap<>();
    plan.outcomes().forEach(o -> m.put(o.name(), o.action()));
    return m;
  }

  @Test
  void localAndS3AreCountedApartSoALocalFileGoesWhileItsS3CopyStays() {
    List<EtcdSnapshot> runs = daily(6);

    ScheduleRetention.Plan plan = ScheduleRetention.plan(spec(2, 4), runs, NOW);

    assertThat(actions(plan).values()).containsExactly(Action.KEEP, Action.KEEP,
        Action.DROP_LOCAL, Action.DROP_LOCAL, Action.DELETE, Action.DELETE);
    ScheduleRetention.Outcome third = plan.outcomes().get(2);
    assertThat(third.why()).isEqualTo("local: beyond retention (the 2 newest); s3: newest 3 of 4");
    assertThat(plan.policy()).startsWith("local: the 2 newest; S3: the 4 newest; and pinned");
  }

  @Test
  void theStatusListsWhatStaysAndWhyPerCopyBoundedToFifty() {
    EtcdSnapshotScheduleSpec spec = spec(60, null);
    spec.keepMonthly = 4; // November to September are among the 60 newest; August's is not
    List<EtcdSnapshot> runs = daily(100);
    runs.get(99).getMetadata().setAnnotations(Map.of(Annotations.KEEP, "true"));
    runs.get(70).getStatus().drill = new SnapshotDrill();
    runs.get(70).getStatus().drill.phase = DrillPhase.Passed;

    var status = ScheduleRetention.plan(spec, runs, NOW).status();

    assertThat(status.keptCount).isEqualTo(60 + 1 + 1 + 1); // August's, pinned, restorable
    assertThat(status.kept).hasSize(ScheduleRetention.LISTED);
    assertThat(status.kept.get(0).local).isEqualTo("newest 1 of 60, monthly 2026-11");
    assertThat(status.kept.get(0).s3).isEqualTo("newest 1 of 60, monthly 2026-11");
    assertThat(status.policy).contains("the 60 newest, 4 monthly (UTC)");
    var all = ScheduleRetention.plan(spec, runs, NOW).kept();
    assertThat(all.get(all.size() - 1).why()).isEqualTo("local: pinned (k3sbackup.dev/keep); "
        + "s3: pinned (k3sbackup.dev/keep)");
    assertThat(all).anySatisfy(o -> assertThat(o.why()).contains("newest proven restorable"));
  }

  @Test
  void theNewestSuccessStaysAndRunsBeingDeletedOrNotSucceededAreNotCounted() {
    List<EtcdSnapshot> runs = daily(3);
    runs.get(1).getMetadata().setDeletionTimestamp(NOW.toString());
    EtcdSnapshot failed = run(NOW.plus(Duration.ofHours(1)), false);
    failed.getStatus().phase = SnapshotPhase.Failed;
    runs.add(failed);
    EtcdSnapshotScheduleSpec spec = spec(1, null);
    spec.maxAge = "1m"; // the newest is older than that too

    ScheduleRetention.Plan plan = ScheduleRetention.plan(spec, runs, NOW.plusSeconds(3600));

    assertThat(actions(plan)).containsExactly(Map.entry(runs.get(0).getMetadata().getName(),
        Action.KEEP), Map.entry(runs.get(2).getMetadata().getName(), Action.DELETE));
    assertThat(plan.outcomes().get(0).local().reason()).isEqualTo(Reason.NEWEST_GOOD);
  }
}
