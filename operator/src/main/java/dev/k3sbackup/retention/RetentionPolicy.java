package dev.k3sbackup.retention;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import java.util.List;

/**
 * What retention keeps: the copies whose names carry {@code prefix} (all of them when null) are
 * counted, and {@code rules} say which stay.
 *
 * @param prefix K3s counts the snapshots named {@code <prefix>-...}; null counts every copy given
 * @param rules the keep rules, asked in order
 * @param keep how many each store keeps (for messages)
 */
public record RetentionPolicy(String prefix, List<KeepRule> rules, int keep) {

  public RetentionPolicy {
    rules = List.copyOf(rules);
  }

  /** Keeps the {@code keep} newest copies of each store; {@code keep} must be 1 or more. */
  public static RetentionPolicy keepNewest(int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("retention " + keep + " would delete every snapshot");
    }
    return new RetentionPolicy(null, List.of(KeepRule.newest(keep)), keep);
  }

  /**
   * K3s's {@code prune --name PREFIX --snapshot-retention N}: refuses, naming the flag, a prefix
   * that is not a plain name and a retention below 1.
   */
  public static RetentionPolicy fromFlags(String prefix, int keep) {
    return fromFlags(prefix, keep, "--snapshot-retention");
  }

  /** The same, for the count that {@code flag} gave (named in the refusal). */
  public static RetentionPolicy fromFlags(String prefix, int keep, String flag) {
    SnapshotName.requireSafeComponent("--name", prefix);
    if (keep < 1) {
      throw SnapshotException.badInput(flag + " " + keep + " would delete every "
          + "snapshot: give 1 or more (K3s's default is 5)");
    }
    return new RetentionPolicy(prefix, List.of(KeepRule.newest(keep)), keep);
  }

  /** Whether a copy of this name is counted. */
  boolean counts(String name) {
    return prefix == null || SnapshotName.parse(name).map(p -> p.hasPrefix(prefix))
        .orElse(false);
  }
}
