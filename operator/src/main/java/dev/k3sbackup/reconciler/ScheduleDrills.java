package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.DrillPhase;
import dev.k3sbackup.api.v1alpha1.DrillSummary;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotDrill;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.retention.SnapshotCopies;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A schedule's restore drills, decided from its children alone (pure: the reconciler does the
 * I/O): which snapshot {@code drill.every} asks to drill next, and what the schedule's status
 * shows (the newest snapshot proven restorable, and the newest drill).
 */
final class ScheduleDrills {

  private ScheduleDrills() {}

  /**
   * The successful snapshot to drill now, if any: with {@code drill.every} N, the newest
   * successful one once N successful ones were taken after the newest already asked for (the
   * first one when none was).
   */
  static Optional<EtcdSnapshot> pick(EtcdSnapshotScheduleSpec spec, List<EtcdSnapshot> children) {
    if (spec.drill == null) {
      return Optional.empty();
    }
    int every = spec.drill.everyOrDefault();
    List<EtcdSnapshot> succeeded = children.stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
        .filter(c -> c.getStatus() != null && c.getStatus().phase == SnapshotPhase.Succeeded
            && c.getStatus().snapshotName != null)
        .sorted(Comparator.comparing(ScheduleDrills::takenAt).reversed())
        .toList();
    if (succeeded.isEmpty() || Annotations.drillRequest(succeeded.get(0)) != null) {
      return Optional.empty();
    }
    int sinceLast = 0;
    for (EtcdSnapshot s : succeeded) {
      if (Annotations.drillRequest(s) != null) {
        return sinceLast >= every ? Optional.of(succeeded.get(0)) : Optional.empty();
      }
      sinceLast++;
    }
    return Optional.of(succeeded.get(0)); // none drilled yet: the newest goes first
  }

  /** Fills the schedule's drill status from its children's. */
  static void summarize(EtcdSnapshotScheduleStatus status, List<EtcdSnapshot> children) {
    List<EtcdSnapshot> drilled = children.stream()
        .filter(c -> c.getStatus() != null && c.getStatus().drill != null)
        .sorted(Comparator.comparing(ScheduleDrills::takenAt).reversed())
        .toList();
    status.lastDrill = drilled.stream()
        .max(Comparator.comparing(c -> started(c.getStatus().drill)))
        .map(ScheduleDrills::summary).orElse(null);
    Optional<EtcdSnapshot> restorable = drilled.stream()
        .filter(c -> c.getStatus().drill.phase == DrillPhase.Passed).findFirst();
    status.lastRestorable = restorable.map(ScheduleDrills::summary).orElse(null);
    status.lastRestorableTime = restorable.map(c -> c.getStatus().drill.completionTime)
        .orElse(null);
  }

  private static DrillSummary summary(EtcdSnapshot c) {
    SnapshotDrill d = c.getStatus().drill;
    DrillSummary s = new DrillSummary();
    s.snapshot = c.getMetadata().getName();
    s.phase = d.phaseOrPending();
    s.takenAt = takenAt(c).toString();
    s.completionTime = d.completionTime;
    s.revision = d.revision;
    s.keys = d.keys;
    s.message = d.message;
    return s;
  }

  private static Instant started(SnapshotDrill d) {
    String t = d.startTime != null ? d.startTime : d.completionTime;
    return t == null ? Instant.EPOCH : Instant.parse(t);
  }

  private static Instant takenAt(EtcdSnapshot s) {
    Instant t = s.getStatus() == null || s.getStatus().snapshotName == null ? null
        : SnapshotCopies.takenAt(s);
    return t != null ? t : Instant.ofEpochSecond(SchedulePruner.scheduledMinute(s) * 60);
  }
}
