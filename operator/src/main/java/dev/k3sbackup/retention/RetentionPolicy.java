package dev.k3sbackup.retention;

import dev.k3sbackup.base.Age;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * What retention keeps in each store. The copies whose names carry {@code prefix} (all of them
 * when null) are counted; a copy stays when any rule keeps it:
 *
 * <ul>
 *   <li>the {@code keep} newest (K3s's retention), only those taken within {@code maxAge} when
 *       it is set;
 *   <li>grandfather-father-son: the newest copy of each of the {@code hourly} newest hours,
 *       {@code daily} days, {@code weekly} ISO weeks and {@code monthly} months that have
 *       copies, by the time in the name, in {@code zone} (0 turns a rule off);
 *   <li>pinned snapshots ({@code k3sbackup.dev/keep: "true"}), forever;
 *   <li>the newest copy whose snapshot passed a restore drill.
 * </ul>
 *
 * <p>And, whatever the rules say, the engine never deletes the newest good copy of a store
 * ({@link Retention}).
 *
 * @param prefix K3s counts the snapshots named {@code <prefix>-...}; null counts every copy given
 * @param keep how many of the newest each store keeps (1 or more)
 * @param maxAge the newest-{@code keep} rule keeps none older than this; null for no limit
 * @param hourly how many hours keep their newest copy (0: none)
 * @param daily how many days keep their newest copy (0: none)
 * @param weekly how many ISO weeks keep their newest copy (0: none)
 * @param monthly how many months keep their newest copy (0: none)
 * @param zone the time zone hours, days, weeks and months are counted in
 */
public record RetentionPolicy(String prefix, int keep, Duration maxAge, int hourly, int daily,
    int weekly, int monthly, ZoneId zone) {

  public RetentionPolicy {
    if (keep < 1) {
      throw new IllegalArgumentException("retention " + keep + " would delete every snapshot");
    }
    if (hourly < 0 || daily < 0 || weekly < 0 || monthly < 0) {
      throw new IllegalArgumentException("a negative count of periods");
    }
    if (maxAge != null && (maxAge.isZero() || maxAge.isNegative())) {
      throw new IllegalArgumentException("maxAge must be positive");
    }
    zone = zone == null ? ZoneId.of("UTC") : zone;
  }

  /** Keeps the {@code keep} newest copies of each store; {@code keep} must be 1 or more. */
  public static RetentionPolicy keepNewest(int keep) {
    return new RetentionPolicy(null, keep, null, 0, 0, 0, 0, null);
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
    return new RetentionPolicy(prefix, keep, null, 0, 0, 0, 0, null);
  }

  /** This policy with another count of newest copies (a separate count for S3). */
  public RetentionPolicy withKeep(int newest) {
    return new RetentionPolicy(prefix, newest, maxAge, hourly, daily, weekly, monthly, zone);
  }

  /** This policy counting only the copies named {@code <p>-...} (every copy when null). */
  public RetentionPolicy withPrefix(String p) {
    return new RetentionPolicy(p, keep, maxAge, hourly, daily, weekly, monthly, zone);
  }

  /** The rules, in the order a decision names them. */
  public List<KeepRule> rules() {
    List<KeepRule> rules = new ArrayList<>();
    rules.add(KeepRule.newest(keep, maxAge));
    if (hourly > 0) {
      rules.add(KeepRule.hourly(hourly, zone));
    }
    if (daily > 0) {
      rules.add(KeepRule.daily(daily, zone));
    }
    if (weekly > 0) {
      rules.add(KeepRule.weekly(weekly, zone));
    }
    if (monthly > 0) {
      rules.add(KeepRule.monthly(monthly, zone));
    }
    rules.add(KeepRule.pinned());
    rules.add(KeepRule.newestRestorable());
    return rules;
  }

  /** The policy in words: {@code the 5 newest taken within 30d, 7 daily, 12 monthly (UTC)}. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    for (KeepRule r : rules()) {
      if (r.reason() != Reason.PINNED && r.reason() != Reason.NEWEST_RESTORABLE) {
        parts.add(r.describe());
      }
    }
    boolean periodic = hourly + daily + weekly + monthly > 0;
    return String.join(", ", parts) + (periodic ? " (" + zone.getId() + ")" : "");
  }

  /** Why the copy at {@code index} of its store goes when no rule keeps it. */
  <S> Decision<S> deleted(Copy<S> c, int index, Instant now) {
    if (maxAge != null && index < keep && KeepRule.tooOld(c, maxAge, now)) {
      return new Decision<>(c, Reason.OLDER_THAN_MAX_AGE, "older than maxAge "
          + Age.format(maxAge));
    }
    return new Decision<>(c, Reason.BEYOND_RETENTION, "beyond retention (" + describe() + ")");
  }

  /** Whether a copy of this name is counted. */
  boolean counts(String name) {
    return prefix == null || SnapshotName.parse(name).map(p -> p.hasPrefix(prefix))
        .orElse(false);
  }
}
