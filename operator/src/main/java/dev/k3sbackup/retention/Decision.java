package dev.k3sbackup.retention;

import java.util.List;

/**
 * What retention decided about one copy, and which rules decided it.
 *
 * @param copy the copy
 * @param reasons every rule that keeps it, in the policy's order (the first is the one that
 *     decided); for a copy that goes, the one reason it goes
 * @param why the same in words, for status and the plugin: {@code newest 1 of 5, daily
 *     2026-11-20} or {@code older than maxAge 30d}
 * @param <S> the caller's snapshot type
 */
public record Decision<S>(Copy<S> copy, List<Reason> reasons, String why) {

  public Decision {
    reasons = List.copyOf(reasons);
    if (reasons.isEmpty()) {
      throw new IllegalArgumentException("a decision needs a reason");
    }
  }

  /** A decision of one reason. */
  public Decision(Copy<S> copy, Reason reason, String why) {
    this(copy, List.of(reason), why);
  }

  /** The rule that decided. */
  public Reason reason() {
    return reasons.get(0);
  }

  public boolean kept() {
    return reason().keeps();
  }
}
