package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.cluster.S3Access;
import dev.k3sbackup.retention.Copy;
import dev.k3sbackup.retention.Retention;
import dev.k3sbackup.retention.RetentionPolicy;
import dev.k3sbackup.retention.ScheduleRetention;
import dev.k3sbackup.retention.SnapshotCopies;
import dev.k3sbackup.retention.Store;
import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.StatusWriter;
import dev.k3sbackup.storage.S3SnapshotStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on a schedule's retention as {@link ScheduleRetention} plans it (local copies per node
 * dir with {@code retention}, S3 copies per folder with {@code s3Retention}, the schedule's
 * maxAge and hourly to monthly rules, pinned snapshots and the newest that passed a drill): a
 * snapshot no rule keeps anywhere is deleted (its finalizer removes the file and the object); one
 * kept only in S3 loses its local file (the snapshot's reconciler deletes it through a Job on its
 * node); one kept only locally loses its S3 object. The newest successful snapshot is never
 * touched. Failed runs are kept up to the {@code retention} count, for their messages. What is
 * kept, and why, goes into the schedule's status.
 */
final class SchedulePruner {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulePruner.class);
  /** Failed runs have no copies: they are counted as one store of their own. */
  private static final Store FAILED_RUNS = Store.local("failed runs");

  private final KubernetesClient client;
  private final S3Access s3;
  private final Events events;
  private final Clock clock;
  private final String home;

  /** @param home the operator's namespace, where the S3 Secrets are read */
  SchedulePruner(KubernetesClient client, S3Access s3, Events events, Clock clock, String home) {
    this.client = client;
    this.s3 = s3;
    this.events = events;
    this.clock = clock;
    this.home = home;
  }

  /** The run's scheduled time in epoch minutes, from its label (0 when it has none). */
  static long scheduledMinute(EtcdSnapshot s) {
    String m = s.getMetadata().getLabels().get(Labels.SCHEDULED_MINUTE);
    return m == null ? 0 : Long.parseLong(m);
  }

  /** Prunes {@code children} by the schedule's policy and shows what stays in its status. */
  void prune(EtcdSnapshotSchedule schedule, List<EtcdSnapshot> children) {
    Instant now = clock.instant();
    ScheduleRetention.Plan plan = ScheduleRetention.plan(schedule.getSpec(), children, now);
    for (ScheduleRetention.Outcome o : plan.outcomes()) {
      switch (o.action()) {
        case DELETE -> delete(schedule, o.snapshot(), o.why());
        case DROP_S3 -> dropS3Copy(schedule, o.snapshot(), o.s3().why(), now);
        case DROP_LOCAL -> dropLocalCopy(schedule, o.snapshot(), o.local().why());
        case KEEP -> { }
      }
    }
    schedule.getStatus().retention = plan.status();
    int retention = schedule.getSpec().retentionOrDefault();
    List<EtcdSnapshot> live = children.stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null).toList();
    List<Copy<EtcdSnapshot>> failed = live.stream().filter(c -> phase(c) == SnapshotPhase.Failed)
        .map(c -> new Copy<>(c, FAILED_RUNS, c.getMetadata().getName(), takenAt(c), null))
        .toList();
    Retention.decide(failed, RetentionPolicy.keepNewest(retention), c -> false, now).deleted()
        .forEach(c -> delete(schedule, c.snapshot(), "failed, beyond the " + retention
            + " newest failed runs kept"));
  }

  /** The time in a snapshot's name; a run without one (failed) by its scheduled time. */
  private static Instant takenAt(EtcdSnapshot s) {
    Instant taken = s.getStatus() == null || s.getStatus().snapshotName == null ? null
        : SnapshotCopies.takenAt(s);
    return taken != null ? taken : Instant.ofEpochSecond(scheduledMinute(s) * 60);
  }

  private static SnapshotPhase phase(EtcdSnapshot s) {
    return s.getStatus() == null ? SnapshotPhase.Pending : s.getStatus().phaseOrPending();
  }

  private void delete(EtcdSnapshotSchedule schedule, EtcdSnapshot child, String why) {
    try {
      client.resource(child).delete();
      LOG.info("schedule {}: pruned {} ({})", schedule.getMetadata().getName(),
          child.getMetadata().getName(), why);
      events.normal(schedule, "SnapshotPruned", "deleted EtcdSnapshot "
          + child.getMetadata().getName() + " (" + why + ")");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  /**
   * Asks the snapshot's reconciler to delete its local file (a Job on its node), once: the
   * annotation says why.
   */
  private void dropLocalCopy(EtcdSnapshotSchedule schedule, EtcdSnapshot child, String why) {
    var annotations = child.getMetadata().getAnnotations();
    if (annotations != null && annotations.containsKey(Annotations.PRUNE_LOCAL)) {
      return; // asked before; the snapshot's reconciler is on it
    }
    try {
      client.resource(child).edit(c -> {
        c.getMetadata().getAnnotations().put(Annotations.PRUNE_LOCAL, why);
        return c;
      });
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return;
      }
      throw e;
    }
    LOG.info("schedule {}: the local file of {} goes ({}); its S3 copy stays",
        schedule.getMetadata().getName(), child.getMetadata().getName(), why);
    events.normal(schedule, "LocalCopyPruned", "the local file of EtcdSnapshot "
        + child.getMetadata().getName() + " goes (local: " + why + "); its S3 copy stays");
  }

  private void dropS3Copy(EtcdSnapshotSchedule schedule, EtcdSnapshot child, String why,
      Instant now) {
    var status = child.getStatus();
    try (S3SnapshotStore store = s3.open(child.getSpec().s3, home)) {
      store.delete(status.snapshotName);
    } catch (RuntimeException e) {
      events.warning(schedule, "PruneFailed", "cannot delete " + status.s3.location + ": "
          + e.getMessage());
      return;
    }
    String location = status.s3.location;
    status.s3 = null;
    Conditions.set(status.conditions, Conditions.UPLOADED, false, "PrunedByRetention",
        location + " deleted (" + why + "); the local copy stays",
        child.getMetadata().getGeneration(), now);
    StatusWriter.patchNow(client, child);
    events.normal(schedule, "SnapshotPruned", "deleted " + location + " (s3: " + why
        + "; the local copy of " + child.getMetadata().getName() + " stays)");
  }
}
