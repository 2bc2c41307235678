package dev.k3sbackup.retention;

/** Which rule decided a copy's fate. Later policies add their own reasons. */
public enum Reason {
  /** Kept: among the newest N of its store. */
  WITHIN_RETENTION(true),
  /** Kept beyond retention: the newest copy in its store that is good (e.g. verifies). */
  NEWEST_GOOD(true),
  /** Deleted: no rule keeps it. */
  BEYOND_RETENTION(false);

  private final boolean keeps;

  Reason(boolean keeps) {
    this.keeps = keeps;
  }

  public boolean keeps() {
    return keeps;
  }
}
