package dev.k3sbackup.retention;

import java.util.List;

/**
 * What retention decided: one decision per counted copy.
 *
 * @param all the decisions, store by store, newest first within a store
 * @param policy the policy decided by
 * @param <S> the caller's snapshot type
 */
public record Decisions<S>(List<Decision<S>> all, RetentionPolicy policy) {

  public Decisions {
    all = List.copyOf(all);
  }

  /** The copies to delete. */
  public List<Copy<S>> deleted() {
    return all.stream().filter(d -> !d.kept()).map(Decision::copy).toList();
  }

  /** The copies kept beyond retention because each is the newest good one of its store. */
  public List<Copy<S>> spared() {
    return all.stream().filter(d -> d.reason() == Reason.NEWEST_GOOD).map(Decision::copy)
        .toList();
  }

  /** The decisions about the copies of {@code snapshot} (the same object as in the copies). */
  public List<Decision<S>> of(S snapshot) {
    return all.stream().filter(d -> d.copy().snapshot() == snapshot).toList();
  }

  /** Whether every counted copy of {@code snapshot} goes (true when none is counted). */
  public boolean allDeleted(S snapshot) {
    return of(snapshot).stream().noneMatch(Decision::kept);
  }

  /** Whether the copy of {@code snapshot} in a store of {@code kind} goes. */
  public boolean deleted(S snapshot, Store.Kind kind) {
    return of(snapshot).stream().anyMatch(d -> d.copy().store().kind() == kind && !d.kept());
  }
}
