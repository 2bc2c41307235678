package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.snapshot.RetentionPlan;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.storage.StoredSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which EtcdSnapshots {@code prune} deletes, counted as K3s counts: succeeded snapshots whose
 * name starts with {@code <prefix>-}, newest first by the time in the name, local copies per
 * node and S3 copies per folder separately (the engine's {@link RetentionPlan} for each store).
 * A snapshot goes when every copy it has is beyond retention in its store; one with a copy
 * still kept stays, and says so. Retention is at least 1 and only succeeded snapshots count, so
 * the newest succeeded snapshot is kept in every store it is in: it never goes.
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
  static PrunePlan of(List<EtcdSnapshot> all, String prefix, int retention) {
    RetentionPlan.of(List.of(), prefix, retention); // the engine's checks of both flags
    List<SnapshotView> succeeded = new ArrayList<>();
    Map<SnapshotView, EtcdSnapshot> resourceOf = new IdentityHashMap<>();
    for (EtcdSnapshot s : all) {
      SnapshotView v = SnapshotView.of(s);
      boolean matches = v.name() != null && SnapshotName.parse(v.name())
          .map(p -> p.hasPrefix(prefix)).orElse(false);
      if (matches && "Succeeded".equals(v.phase())
          && s.getMetadata().getDeletionTimestamp() == null) {
        succeeded.add(v);
        resourceOf.put(v, s);
      }
    }
    Map<String, List<StoredSnapshot>> stores = new LinkedHashMap<>();
    Map<SnapshotView, List<StoredSnapshot>> copiesOf = new IdentityHashMap<>();
    for (SnapshotView v : succeeded) {
      copiesOf.put(v, v.copies());
      for (StoredSnapshot copy : copiesOf.get(v)) {
        stores.computeIfAbsent(storeOf(copy), k -> new ArrayList<>()).add(copy);
      }
    }
    Set<StoredSnapshot> beyond = Collections.newSetFromMap(new IdentityHashMap<>());
    stores.values().forEach(copies ->
        beyond.addAll(RetentionPlan.of(copies, prefix, retention).beyondRetention()));
    List<EtcdSnapshot> delete = new ArrayList<>();
    List<Kept> kept = new ArrayList<>();
    for (SnapshotView v : succeeded.stream().sorted(SnapshotView.OLDEST_FIRST).toList()) {
      List<StoredSnapshot> copies = copiesOf.get(v);
      List<StoredSnapshot> stillKept = copies.stream().filter(c -> !beyond.contains(c)).toList();
      if (stillKept.size() == copies.size()) {
        continue;
      }
      if (stillKept.isEmpty()) {
        delete.add(resourceOf.get(v));
      } else {
        kept.add(new Kept(v.resource(), v.name(), "its copy " + stillKept.get(0).location()
            + " is among the " + retention + " newest in " + describeStore(stillKept.get(0))));
      }
    }
    return new PrunePlan(prefix, retention, List.copyOf(delete), List.copyOf(kept));
  }

  /** K3s counts a node's snapshot dir, and an S3 folder, each on its own. */
  private static String storeOf(StoredSnapshot copy) {
    if (copy.storage() == StoredSnapshot.Storage.LOCAL) {
      return "local:" + copy.node();
    }
    String location = copy.location();
    return "s3:" + location.substring(0, location.length() - copy.name().length());
  }

  private static String describeStore(StoredSnapshot copy) {
    return copy.storage() == StoredSnapshot.Storage.LOCAL ? "the snapshot dir of " + copy.node()
        : "its S3 folder";
  }
}
