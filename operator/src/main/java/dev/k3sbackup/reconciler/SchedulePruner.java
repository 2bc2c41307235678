package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.storage.S3SnapshotStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schedule's retention, counted as K3s counts it: local copies per node dir, S3 copies in the
 * folder, separately, newest first by scheduled time. A snapshot beyond retention in every store
 * it is in is deleted (its finalizer removes the file and the object); one beyond only in S3
 * loses just its S3 object. The newest successful snapshot is never touched. Failed runs are
 * kept up to the same count, for their messages.
 */
final class SchedulePruner {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulePruner.class);

  private final KubernetesClient client;
  private final S3Access s3;
  private final EventRecorder events;

  SchedulePruner(KubernetesClient client, S3Access s3, EventRecorder events) {
    this.client = client;
    this.s3 = s3;
    this.events = events;
  }

  static long scheduledMinute(EtcdSnapshot s) {
    String m = s.getMetadata().getLabels().get(
        Labels.SCHEDULED_MINUTE);
    return m == null ? 0 : Long.parseLong(m);
  }

  private static final Comparator<EtcdSnapshot> NEWEST_FIRST =
      Comparator.comparingLong(SchedulePruner::scheduledMinute).reversed()
          .thenComparing(s -> s.getMetadata().getName());

  void prune(EtcdSnapshotSchedule schedule, List<EtcdSnapshot> children, int retention) {
    List<EtcdSnapshot> live = children.stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null).sorted(NEWEST_FIRST).toList();
    List<EtcdSnapshot> succeeded = live.stream().filter(c -> phase(c) == SnapshotPhase.Succeeded)
        .toList();
    Set<EtcdSnapshot> beyondLocal = new HashSet<>();
    Map<String, List<EtcdSnapshot>> byNode = succeeded.stream()
        .filter(c -> c.getStatus().localPath != null)
        .collect(Collectors.groupingBy(c -> String.valueOf(c.getStatus().node)));
    byNode.values().forEach(l -> beyondLocal.addAll(beyond(l, retention)));
    Set<EtcdSnapshot> beyondS3 = new HashSet<>(beyond(succeeded.stream()
        .filter(c -> c.getStatus().s3 != null).toList(), retention));
    for (EtcdSnapshot child : succeeded.isEmpty() ? List.<EtcdSnapshot>of()
        : succeeded.subList(1, succeeded.size())) { // the newest success stays, always
      boolean hasLocal = child.getStatus().localPath != null;
      boolean hasS3 = child.getStatus().s3 != null;
      boolean localGoes = !hasLocal || beyondLocal.contains(child);
      boolean s3Goes = !hasS3 || beyondS3.contains(child);
      if (localGoes && s3Goes) {
        delete(schedule, child, "beyond retention " + retention);
      } else if (hasS3 && beyondS3.contains(child)) {
        dropS3Copy(schedule, child, retention);
      }
    }
    List<EtcdSnapshot> failed = live.stream().filter(c -> phase(c) == SnapshotPhase.Failed)
        .toList();
    beyond(failed, retention).forEach(c -> delete(schedule, c, "failed, beyond the "
        + retention + " newest failed runs kept"));
  }

  private static List<EtcdSnapshot> beyond(List<EtcdSnapshot> newestFirst, int keep) {
    return newestFirst.size() <= keep ? List.of() : newestFirst.subList(keep, newestFirst.size());
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

  private void dropS3Copy(EtcdSnapshotSchedule schedule, EtcdSnapshot child, int retention) {
    var status = child.getStatus();
    try (S3SnapshotStore store = s3.open(child.getSpec().s3,
        child.getMetadata().getNamespace())) {
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
        child.getMetadata().getGeneration(), Instant.now());
    StatusWriter.patchNow(client, child);
    events.normal(schedule, "SnapshotPruned", "deleted " + location + " (beyond retention "
        + retention + " in S3; the local copy of " + child.getMetadata().getName() + " stays)");
  }
}
