package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.storage.StoredSnapshot;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which snapshots of one store fall beyond retention, counted as K3s counts them: those whose
 * name starts with {@code <prefix>-}, newest first by the time in their name.
 *
 * @param newestFirst the snapshots with the prefix, newest first
 * @param keep how many to keep
 */
public record RetentionPlan(List<StoredSnapshot> newestFirst, int keep) {

  public RetentionPlan {
    if (keep < 1) {
      throw SnapshotException.badInput("--snapshot-retention " + keep + " would delete every "
          + "snapshot: give 1 or more (K3s's default is 5)");
    }
    newestFirst = List.copyOf(newestFirst);
  }

  /** Plans retention for {@code prefix} over one store's listing. */
  public static RetentionPlan of(List<StoredSnapshot> store, String prefix, int keep) {
    SnapshotName.requireSafeComponent("--name", prefix);
    List<StoredSnapshot> matching = store.stream()
        .filter(s -> SnapshotName.parse(s.name()).map(p -> p.hasPrefix(prefix)).orElse(false))
        .sorted(Comparator.comparing(StoredSnapshot::createdAt)
            .thenComparing(StoredSnapshot::name).reversed())
        .toList();
    return new RetentionPlan(matching, keep);
  }

  /** The ones to delete, oldest last. */
  public List<StoredSnapshot> beyondRetention() {
    return newestFirst.size() <= keep ? List.of() : newestFirst.subList(keep, newestFirst.size());
  }

  /** The ones kept. */
  public List<StoredSnapshot> kept() {
    return newestFirst.subList(0, Math.min(keep, newestFirst.size()));
  }

  /**
   * The newest snapshot that passes {@code verifies}, checking newest first and stopping at the
   * first that passes; this one is never deleted, even when it is beyond retention.
   */
  public Optional<StoredSnapshot> newestVerified(java.util.function.Predicate<StoredSnapshot> verifies) {
    return newestFirst.stream().filter(verifies).findFirst();
  }
}
