package dev.k3sbackup.retention;

/** Which rule decided a copy's fate. */
public enum Reason {
  /** Kept: among the newest N of its store (and, with a maximum age, younger than it). */
  WITHIN_RETENTION(true, "newest"),
  /** Kept: the newest copy of one of the N newest hours that have copies. */
  HOURLY(true, "hourly"),
  /** Kept: the newest copy of one of the N newest days that have copies. */
  DAILY(true, "daily"),
  /** Kept: the newest copy of one of the N newest ISO weeks that have copies. */
  WEEKLY(true, "weekly"),
  /** Kept: the newest copy of one of the N newest months that have copies. */
  MONTHLY(true, "monthly"),
  /** Kept: the snapshot is pinned ({@code k3sbackup.dev/keep: "true"}). */
  PINNED(true, "pinned"),
  /** Kept: the newest copy in its store whose snapshot passed a restore drill. */
  NEWEST_RESTORABLE(true, "newest restorable"),
  /** Kept beyond retention: the newest copy in its store that is good (e.g. verifies). */
  NEWEST_GOOD(true, "newest good"),
  /** Deleted: among the newest N, but older than the maximum age, and no other rule keeps it. */
  OLDER_THAN_MAX_AGE(false, "older than maxAge"),
  /** Deleted: no rule keeps it. */
  BEYOND_RETENTION(false, "beyond retention");

  private final boolean keeps;
  private final String label;

  Reason(boolean keeps, String label) {
    this.keeps = keeps;
    this.label = label;
  }

  public boolean keeps() {
    return keeps;
  }

  /** How status and the plugin name the rule ({@code daily}, {@code pinned}...). */
  public String label() {
    return label;
  }
}
