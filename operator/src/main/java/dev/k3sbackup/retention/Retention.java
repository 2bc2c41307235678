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
 * first by the time in their name, and kept when any of the policy's rules keeps them (each
 * decision names every rule that does); in each store that loses copies, the newest good one
 * (one that verifies, say) is never deleted. Pure: it decides, the callers delete.
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
    List<KeepRule> rules = policy.rules();
    List<Decision<S>> all = new ArrayList<>();
    for (List<Copy<S>> store : stores.values()) {
      store.sort(NEWEST_FIRST);
      List<Map<Integer, String>> kept = new ArrayList<>();
      for (KeepRule rule : rules) {
        kept.add(rule.keeps(store, now));
      }
      List<Decision<S>> decided = new ArrayList<>();
      for (int i = 0; i < store.size(); i++) {
        List<Reason> reasons = new ArrayList<>();
        List<String> why = new ArrayList<>();
        for (int r = 0; r < rules.size(); r++) {
          String said = kept.get(r).get(i);
          if (said != null) {
            reasons.add(rules.get(r).reason());
            why.add(said);
          }
        }
        decided.add(reasons.isEmpty() ? policy.deleted(store.get(i), i, now)
            : new Decision<>(store.get(i), reasons, String.join(", ", why)));
      }
      if (decided.stream().anyMatch(d -> !d.kept())) {
        spareNewestGood(decided, good);
      }
      all.addAll(decided);
    }
    return new Decisions<>(all, policy);
  }

  /** The newest good copy of a store stays, whatever the rules say. */
  private static <S> void spareNewestGood(List<Decision<S>> newestFirst, Predicate<S> good) {
    for (int i = 0; i < newestFirst.size(); i++) {
      Decision<S> d = newestFirst.get(i);
      if (good.test(d.copy().snapshot())) {
        if (!d.kept()) {
          newestFirst.set(i, new Decision<>(d.copy(), Reason.NEWEST_GOOD,
              "the newest good one in " + d.copy().store().describe() + " (" + d.why() + ")"));
        }
        return;
      }
    }
  }
}
