package dev.k3sbackup.retention;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A rule that may keep a copy in its store. The engine asks every rule of the policy, in order,
 * and the first that keeps a copy names the reason; a copy no rule keeps is deleted. Later
 * policies (a maximum age, hourly/daily/weekly/monthly copies, a keep annotation, separate
 * counts for local and S3 stores) are more rules.
 */
public interface KeepRule {

  /**
   * Whether the copy at {@code index} of {@code newestFirst} (one store's copies, newest first)
   * is kept by this rule, and why.
   */
  <S> Optional<Reason> keeps(List<Copy<S>> newestFirst, int index, Instant now);

  /** K3s's retention: the {@code n} newest of each store. */
  static KeepRule newest(int n) {
    return new KeepRule() {
      @Override
      public <S> Optional<Reason> keeps(List<Copy<S>> newestFirst, int index, Instant now) {
        return index < n ? Optional.of(Reason.WITHIN_RETENTION) : Optional.empty();
      }

      @Override
      public String toString() {
        return "the " + n + " newest";
      }
    };
  }
}
