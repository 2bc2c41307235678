package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.retention.Copy;
import dev.k3sbackup.retention.Retention;
import dev.k3sbackup.retention.RetentionPolicy;
import dev.k3sbackup.retention.ScheduleRetention;
import dev.k3sbackup.retention.SnapshotCopies;
import dev.k3sbackup.retention.Store;
import dev.k3sbackup.status.Events;
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
 * node); one kept only locally loses its S3 object (the snapshot's reconciler deletes it). Both are
 * asked for with an annotation on the snapshot, so that only its reconciler writes its status.
 * The newest successful snapshot is never touched. Failed runs are kept up to the
 * {@code retention} count, for their messages. What is kept, and why, goes into the schedule's
 * status.
 */
final class SchedulePruner {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulePruner.class);
  /** Failed runs have no copies: they are counted as one store of their own. */
  private static final Store FAILED_RUNS = Store.local("failed runs");

  private final KubernetesClient client;
  private final Events events;
  private final Clock clock;

  SchedulePruner(KubernetesClient client, Events events, Clock clock) {
    this.client = client;
    this.events = events;
    this.clock = clock;
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
        case DROP_S3 -> dropS3Copy(schedule, o.snapshot(), o.s3().why());
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
    dropOneCopy(schedule, child, Annotations.PRUNE_LOCAL, "LocalCopyPruned",
        "the local file of", "local", "its S3 copy stays", why);
  }

  /** Asks the snapshot's reconciler to delete its S3 object, once: the annotation says why. */
  private void dropS3Copy(EtcdSnapshotSchedule schedule, EtcdSnapshot child, String why) {
    dropOneCopy(schedule, child, Annotations.PRUNE_S3, "S3CopyPruned", "the S3 copy of", "s3",
        "its local file stays", why);
  }

  /**
   * One copy of {@code child} goes, the other stays: the snapshot's own reconciler deletes it and
   * writes its status, once {@code annotation} asks (set once; the value says why).
   */
  private void dropOneCopy(EtcdSnapshotSchedule schedule, EtcdSnapshot child, String annotation,
      String reason, String which, String store, String stays, String why) {
    if (annotateOnce(client, child, annotation, why)) {
      String name = child.getMetadata().getName();
      LOG.info("schedule {}: {} {} goes ({}); {}", schedule.getMetadata().getName(), which, name,
          why, stays);
      events.normal(schedule, reason, which + " EtcdSnapshot " + name + " goes (" + store + ": "
          + why + "); " + stays);
    }
  }

  /**
   * Sets {@code key} to {@code value} on {@code child} unless it has that annotation already
   * (asked before, or by its user) or is gone.
   *
   * @return whether it was set now
   */
  static boolean annotateOnce(KubernetesClient client, EtcdSnapshot child, String key,
      String value) {
    var annotations = child.getMetadata().getAnnotations();
    if (annotations != null && annotations.containsKey(key)) {
      return false;
    }
    try {
      client.resource(child).edit(c -> {
        if (c.getMetadata().getAnnotations() == null) {
          c.getMetadata().setAnnotations(new java.util.HashMap<>());
        }
        c.getMetadata().getAnnotations().putIfAbsent(key, value);
        return c;
      });
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }
}
