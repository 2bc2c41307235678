package dev.k3sbackup.retention;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The one retention engine, used by the CLI's {@code prune}, the plugin's {@code prune} and a
 * schedule's pruning: copies are grouped by store (a node's dir, an S3 folder), sorted newest
 * first by the time in their name, and kept or deleted by the policy's rules; in each store
 * that loses copies, the newest good one (one that verifies, say) is never deleted. Pure: it
 * decides, the callers delete.
 */
public final class Retention {

  /** Newest first: by the time in the name, then by name. */
  private static final Comparator<Copy<?>> NEWEST_FIRST = Comparator
      .comparing((Copy<?> c) -> c.takenAt(), Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(Copy::name, Comparator.nullsFirst(Comparator.naturalOrder())).reversed();

  private Retention() {}

  /**
   * Decides every counted copy's fate.
   *
   * @param copies the copies, in any order; those the policy does not count are left out
   * @param policy what to keep
   * @param good whether a snapshot is good; asked lazily, newest first, only in stores that lose
   *     copies, and no further than the first good one
   * @param now the time (for rules that look at age)
   * @return one decision per counted copy, store by store (in the order the stores first appear),
   *     newest first within a store
   */
  public static <S> Decisions<S> decide(List<Copy<S>> copies, RetentionPolicy policy,
      Predicate<S> good, Instant now) {
    Map<Store, List<Copy<S>>> stores = new LinkedHashMap<>();
    for (Copy<S> c : copies) {
      if (policy.counts(c.name())) {
        stores.computeIfAbsent(c.store(), k -> new ArrayList<>()).add(c);
      }
    }
    List<Decision<S>> all = new ArrayList<>();
    for (List<Copy<S>> store : stores.values()) {
      store.sort(NEWEST_FIRST);
      List<Decision<S>> decided = new ArrayList<>();
      for (int i = 0; i < store.size(); i++) {
        decided.add(new Decision<>(store.get(i), reason(policy, store, i, now)));
      }
      if (decided.stream().anyMatch(d -> !d.kept())) {
        spareNewestGood(decided, good);
      }
      all.addAll(decided);
    }
    return new Decisions<>(all, policy);
  }

  private static <S> Reason reason(RetentionPolicy policy, List<Copy<S>> newestFirst, int index,
      Instant now) {
    for (KeepRule rule : policy.rules()) {
      var kept = rule.keeps(newestFirst, index, now);
      if (kept.isPresent()) {
        return kept.get();
      }
    }
    return Reason.BEYOND_RETENTION;
  }

  /** The newest good copy of a store stays, whatever the rules say. */
  private static <S> void spareNewestGood(List<Decision<S>> newestFirst, Predicate<S> good) {
    for (int i = 0; i < newestFirst.size(); i++) {
      Decision<S> d = newestFirst.get(i);
      if (good.test(d.copy().snapshot())) {
        if (!d.kept()) {
          newestFirst.set(i, new Decision<>(d.copy(), Reason.NEWEST_GOOD));
        }
        return;
      }
    }
  }
}
