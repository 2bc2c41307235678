package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.retention.Copy;
import dev.k3sbackup.retention.Decision;
import dev.k3sbackup.retention.Decisions;
import dev.k3sbackup.retention.Retention;
import dev.k3sbackup.retention.RetentionPolicy;
import dev.k3sbackup.retention.SnapshotCopies;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which EtcdSnapshots {@code prune} deletes, counted as K3s counts: succeeded snapshots whose
 * name starts with {@code <prefix>-}, newest first by the time in the name, local copies per
 * node and S3 copies per folder separately (the {@link Retention} engine). A snapshot goes when
 * every copy it has is beyond retention in its store; one with a copy still kept stays, and says
 * so. Retention is at least 1 and only succeeded snapshots count, so the newest succeeded
 * snapshot is kept in every store it is in: it never goes. Only our own snapshots count:
 * adopted ones (found without a resource, such as K3s's own) are K3s's retention's to prune.
 *
 * @param prefix the name prefix counted
 * @param retention how many are kept in each store
 * @param delete the snapshots to delete, oldest first
 * @param kept the snapshots beyond retention somewhere that stay, with why
 */
record PrunePlan(String prefix, int retention, List<EtcdSnapshot> delete, List<Kept> kept) {

  /**
   * One snapshot beyond retention in one store that stays.
   *
   * @param resource the EtcdSnapshot
   * @param name its snapshot name
   * @param reason why it stays
   */
  record Kept(String resource, String name, String reason) {}

  /** Plans; refuses a retention below 1 or a bad prefix as the CLI's prune does. */
  static PrunePlan of(List<EtcdSnapshot> all, String prefix, int retention, Instant now) {
    RetentionPolicy policy = RetentionPolicy.fromFlags(prefix, retention);
    List<EtcdSnapshot> succeeded = all.stream()
        .filter(s -> s.getStatus() != null && s.getStatus().phase == SnapshotPhase.Succeeded
            && s.getMetadata().getDeletionTimestamp() == null
            && !Boolean.TRUE.equals(s.getStatus().adopted))
        .sorted(Comparator.comparing(SnapshotCopies::takenAt,
            Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(s -> s.getMetadata().getName()))
        .toList();
    List<Copy<EtcdSnapshot>> copies = new ArrayList<>();
    succeeded.forEach(s -> copies.addAll(SnapshotCopies.of(s)));
    Decisions<EtcdSnapshot> decisions = Retention.decide(copies, policy, s -> true, now);
    List<EtcdSnapshot> delete = new ArrayList<>();
    List<Kept> kept = new ArrayList<>();
    for (EtcdSnapshot s : succeeded) {
      List<Decision<EtcdSnapshot>> mine = decisions.of(s);
      if (mine.isEmpty() || mine.stream().allMatch(Decision::kept)) {
        continue; // not counted, or kept everywhere
      }
      List<Decision<EtcdSnapshot>> stillKept = mine.stream().filter(Decision::kept).toList();
      if (stillKept.isEmpty()) {
        delete.add(s);
      } else {
        Copy<EtcdSnapshot> c = stillKept.get(0).copy();
        kept.add(new Kept(s.getMetadata().getName(), c.name(), "its copy " + c.location()
            + " is among the " + retention + " newest in " + c.store().describe()));
      }
    }
    return new PrunePlan(prefix, retention, List.copyOf(delete), List.copyOf(kept));
  }
}
