package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.cluster.S3Access;
import dev.k3sbackup.retention.Copy;
import dev.k3sbackup.retention.Decisions;
import dev.k3sbackup.retention.Retention;
import dev.k3sbackup.retention.RetentionPolicy;
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
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schedule's retention, decided by the {@link Retention} engine as K3s counts it: local copies
 * per node dir, S3 copies per folder, separately, newest first by the time in their name. A
 * snapshot beyond retention in every store it is in is deleted (its finalizer removes the file
 * and the object); one beyond only in S3 loses just its S3 object. The newest successful
 * snapshot is never touched. Failed runs are kept up to the same count, for their messages.
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

  void prune(EtcdSnapshotSchedule schedule, List<EtcdSnapshot> children, int retention) {
    RetentionPolicy policy = RetentionPolicy.keepNewest(retention);
    Instant now = clock.instant();
    List<EtcdSnapshot> live = children.stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null).toList();
    List<Copy<EtcdSnapshot>> copies = new ArrayList<>();
    List<EtcdSnapshot> succeeded = live.stream().filter(c -> phase(c) == SnapshotPhase.Succeeded)
        .toList();
    succeeded.forEach(c -> copies.addAll(SnapshotCopies.of(c)));
    Decisions<EtcdSnapshot> decisions = Retention.decide(copies, policy, c -> true, now);
    EtcdSnapshot newest = succeeded.stream().max(java.util.Comparator.comparing(
        SchedulePruner::takenAt).thenComparing(c -> c.getMetadata().getName(),
            java.util.Comparator.reverseOrder())).orElse(null);
    for (EtcdSnapshot child : succeeded) {
      if (child == newest) {
        continue; // the newest success stays, always
      }
      if (decisions.allDeleted(child)) {
        delete(schedule, child, "beyond retention " + retention);
      } else if (decisions.deleted(child, Store.Kind.S3)) {
        dropS3Copy(schedule, child, retention, now);
      }
    }
    List<Copy<EtcdSnapshot>> failed = live.stream().filter(c -> phase(c) == SnapshotPhase.Failed)
        .map(c -> new Copy<>(c, FAILED_RUNS, c.getMetadata().getName(), takenAt(c), null))
        .toList();
    Retention.decide(failed, policy, c -> false, now).deleted().forEach(c -> delete(schedule,
        c.snapshot(), "failed, beyond the " + retention + " newest failed runs kept"));
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

  private void dropS3Copy(EtcdSnapshotSchedule schedule, EtcdSnapshot child, int retention,
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
        location + " deleted: beyond the " + retention + " newest in S3; the local copy stays",
        child.getMetadata().getGeneration(), now);
    StatusWriter.patchNow(client, child);
    events.normal(schedule, "SnapshotPruned", "deleted " + location + " (beyond retention "
        + retention + " in S3; the local copy of " + child.getMetadata().getName() + " stays)");
  }
}
