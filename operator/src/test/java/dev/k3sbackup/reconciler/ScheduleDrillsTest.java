package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.DrillPhase;
import dev.k3sbackup.api.v1alpha1.DrillPolicy;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotDrill;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which of a schedule's snapshots drill.every drills, and what the schedule's status shows. */
class ScheduleDrillsTest {

  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  private static EtcdSnapshot run(int hoursAgo) {
    Instant t = NOW.minus(Duration.ofHours(hoursAgo));
    String file = "k3sbackup-scheduled-s1-" + t.getEpochSecond();
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("hourly-" + t.getEpochSecond() / 60);
    s.getMetadata().setAnnotations(new HashMap<>());
    s.setStatus(new EtcdSnapshotStatus());
    s.getStatus().phase = SnapshotPhase.Succeeded;
    s.getStatus().snapshotName = file;
    return s;
  }

  private static EtcdSnapshot asked(EtcdSnapshot s) {
    s.getMetadata().getAnnotations().put(Annotations.DRILL, Annotations.DRILL_BY_SCHEDULE);
    return s;
  }

  private static EtcdSnapshot drilled(EtcdSnapshot s, DrillPhase phase, String at) {
    asked(s);
    s.getStatus().drill = new SnapshotDrill();
    s.getStatus().drill.request = Annotations.DRILL_BY_SCHEDULE;
    s.getStatus().drill.phase = phase;
    s.getStatus().drill.startTime = at;
    s.getStatus().drill.completionTime = at;
    s.getStatus().drill.revision = 42L;
    s.getStatus().drill.keys = 7L;
    return s;
  }

  private static EtcdSnapshotScheduleSpec every(int n) {
    EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
    spec.drill = new DrillPolicy();
    spec.drill.every = n;
    return spec;
  }

  @Test
  void withoutADrillPolicyNothingIsDrilled() {
    assertThat(ScheduleDrills.pick(new EtcdSnapshotScheduleSpec(), List.of(run(0)))).isEmpty();
  }

  @Test
  void theFirstSuccessfulSnapshotIsDrilledAtOnce() {
    EtcdSnapshot newest = run(0);
    assertThat(ScheduleDrills.pick(every(3), List.of(run(1), newest))).contains(newest);
  }

  @Test
  void everyThirdSnapshotIsDrilled() {
    List<EtcdSnapshot> runs = new ArrayList<>(List.of(asked(run(3)), run(2), run(1)));
    assertThat(ScheduleDrills.pick(every(3), runs)).isEmpty();
    EtcdSnapshot third = run(0);
    runs.add(third);
    assertThat(ScheduleDrills.pick(every(3), runs)).contains(third);
    asked(third);
    assertThat(ScheduleDrills.pick(every(3), runs)).as("asked once").isEmpty();
  }

  @Test
  void everyOneDrillsEachAndSkipsFailedRuns() {
    EtcdSnapshot failed = run(0);
    failed.getStatus().phase = SnapshotPhase.Failed;
    EtcdSnapshot ok = run(1);
    assertThat(ScheduleDrills.pick(every(1), List.of(asked(run(2)), ok, failed)))
        .isEqualTo(Optional.of(ok));
  }

  @Test
  void statusShowsTheNewestSnapshotProvenRestorableAndTheNewestDrill() {
    EtcdSnapshot older = drilled(run(5), DrillPhase.Passed, "2026-11-21T07:10:00Z");
    EtcdSnapshot newer = drilled(run(2), DrillPhase.Passed, "2026-11-21T10:10:00Z");
    EtcdSnapshot broken = drilled(run(1), DrillPhase.Failed, "2026-11-21T11:10:00Z");
    broken.getStatus().drill.message = "not proven restorable: sha256 changed";
    EtcdSnapshotScheduleStatus status = new EtcdSnapshotScheduleStatus();

    ScheduleDrills.summarize(status, List.of(older, broken, newer, run(0)));

    assertThat(status.lastRestorable.snapshot).isEqualTo(newer.getMetadata().getName());
    assertThat(status.lastRestorable.phase).isEqualTo(DrillPhase.Passed);
    assertThat(status.lastRestorable.revision).isEqualTo(42L);
    assertThat(status.lastRestorable.takenAt).isEqualTo("2026-11-21T10:00:00Z");
    assertThat(status.lastRestorableTime).isEqualTo("2026-11-21T10:10:00Z");
    assertThat(status.lastDrill.snapshot).isEqualTo(broken.getMetadata().getName());
    assertThat(status.lastDrill.phase).isEqualTo(DrillPhase.Failed);
    assertThat(status.lastDrill.message).contains("sha256 changed");
  }

  @Test
  void noPassedDrillLeavesLastRestorableEmpty() {
    EtcdSnapshotScheduleStatus status = new EtcdSnapshotScheduleStatus();
    ScheduleDrills.summarize(status, List.of(drilled(run(1), DrillPhase.Failed,
        "2026-11-21T11:10:00Z")));
    assertThat(status.lastRestorable).isNull();
    assertThat(status.lastRestorableTime).isNull();
    assertThat(status.lastDrill.phase).isEqualTo(DrillPhase.Failed);
  }
}
