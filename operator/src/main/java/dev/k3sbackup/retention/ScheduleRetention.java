package dev.k3sbackup.retention;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.RetainedSnapshot;
import dev.k3sbackup.api.v1alpha1.RetentionStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.base.SnapshotException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A schedule's retention over its EtcdSnapshots, decided by the {@link Retention} engine: local
 * copies counted per node dir with {@code retention}, S3 copies per folder with
 * {@code s3Retention}, both with the schedule's {@code maxAge} and hourly to monthly rules in its
 * time zone, pinned snapshots and the newest that passed a drill kept. Pure: the schedule's
 * pruner and the plugin's {@code prune --schedule} both print and act on the same plan.
 */
public final class ScheduleRetention {

  /** How many kept snapshots a schedule's status lists (all are counted). */
  public static final int LISTED = 50;

  private ScheduleRetention() {}

  /** What happens to one snapshot. */
  public enum Action {
    /** Every copy stays. */
    KEEP,
    /** Every copy goes: the resource is deleted (its finalizer removes the file and object). */
    DELETE,
    /** Only its local file goes: its S3 copy is kept by the S3 count. */
    DROP_LOCAL,
    /** Only its S3 copy goes: its local file is kept. */
    DROP_S3
  }

  /**
   * One counted snapshot's fate.
   *
   * @param snapshot the EtcdSnapshot
   * @param takenAt the time in its name
   * @param local the decision about its local file (null when it has none)
   * @param s3 the decision about its S3 copy (null when it has none)
   * @param action what happens to it
   */
  public record Outcome(EtcdSnapshot snapshot, Instant takenAt, Decision<EtcdSnapshot> local,
      Decision<EtcdSnapshot> s3, Action action) {

    public String name() {
      return snapshot.getMetadata().getName();
    }

    /** Why, per copy: {@code local: newest 1 of 5; s3: monthly 2026-11}. */
    public String why() {
      List<String> parts = new ArrayList<>();
      if (local != null) {
        parts.add("local: " + local.why());
      }
      if (s3 != null) {
        parts.add("s3: " + s3.why());
      }
      return String.join("; ", parts);
    }
  }

  /**
   * The plan.
   *
   * @param policy the policy in words
   * @param outcomes every counted snapshot, newest first
   */
  public record Plan(String policy, List<Outcome> outcomes) {

    public List<Outcome> with(Action action) {
      return outcomes.stream().filter(o -> o.action() == action).toList();
    }

    /** The snapshots that stay (whole, or one of their copies). */
    public List<Outcome> kept() {
      return outcomes.stream().filter(o -> o.action() != Action.DELETE).toList();
    }

    /** What a schedule's status shows: the policy, and the first {@link #LISTED} kept. */
    public RetentionStatus status() {
      RetentionStatus s = new RetentionStatus();
      s.policy = policy;
      List<Outcome> kept = kept();
      s.keptCount = kept.size();
      for (Outcome o : kept.subList(0, Math.min(LISTED, kept.size()))) {
        RetainedSnapshot r = new RetainedSnapshot();
        r.snapshot = o.name();
        r.takenAt = o.takenAt() == null ? null : o.takenAt().toString();
        r.local = o.local() != null && o.local().kept() ? o.local().why() : null;
        r.s3 = o.s3() != null && o.s3().kept() ? o.s3().why() : null;
        s.kept.add(r);
      }
      return s;
    }
  }

  /**
   * The policy of the schedule's local copies (its S3 copies': {@code .withKeep(s3Retention)}).
   *
   * @throws SnapshotException naming the field when {@code maxAge} or {@code timeZone} is bad
   */
  public static RetentionPolicy policy(EtcdSnapshotScheduleSpec spec) {
    ZoneId zone;
    try {
      zone = spec.timeZone == null || spec.timeZone.isBlank() ? ZoneId.of("UTC")
          : ZoneId.of(spec.timeZone);
    } catch (DateTimeException e) {
      throw SnapshotException.badInput("spec.timeZone '" + spec.timeZone + "' is not an IANA "
          + "time zone: use e.g. UTC or Europe/Berlin");
    }
    int keep = spec.retentionOrDefault();
    if (keep < 1) {
      throw SnapshotException.badInput("spec.retention " + keep + " would delete every "
          + "snapshot: give 1 or more (K3s's default is 5)");
    }
    return new RetentionPolicy(null, keep, spec.maxAgeOrNull(), count(spec.keepHourly),
        count(spec.keepDaily), count(spec.keepWeekly), count(spec.keepMonthly), zone);
  }

  private static int count(Integer n) {
    return n == null ? 0 : Math.max(0, n);
  }

  /** The policy in words, local and S3. */
  public static String describe(EtcdSnapshotScheduleSpec spec) {
    RetentionPolicy local = policy(spec);
    boolean s3 = spec.snapshotTemplate != null && spec.snapshotTemplate.s3 != null;
    return "local: " + local.describe() + (s3 ? "; S3: "
        + local.withKeep(spec.s3RetentionOrDefault()).describe() : "")
        + "; and pinned ones (k3sbackup.dev/keep), the newest that passed a drill and the "
        + "newest successful one";
  }

  /**
   * Decides the fate of {@code children}: the succeeded ones not being deleted are counted;
   * the newest of them always stays.
   */
  public static Plan plan(EtcdSnapshotScheduleSpec spec, List<EtcdSnapshot> children,
      Instant now) {
    RetentionPolicy local = policy(spec);
    RetentionPolicy s3 = local.withKeep(spec.s3RetentionOrDefault());
    List<EtcdSnapshot> succeeded = children.stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
        .filter(c -> c.getStatus() != null && c.getStatus().phase == SnapshotPhase.Succeeded)
        .sorted(NEWEST_FIRST).toList();
    List<Copy<EtcdSnapshot>> localCopies = new ArrayList<>();
    List<Copy<EtcdSnapshot>> s3Copies = new ArrayList<>();
    for (EtcdSnapshot c : succeeded) {
      for (Copy<EtcdSnapshot> copy : SnapshotCopies.of(c)) {
        (copy.store().kind() == Store.Kind.LOCAL ? localCopies : s3Copies).add(copy);
      }
    }
    Decisions<EtcdSnapshot> onNodes = Retention.decide(localCopies, local, c -> true, now);
    Decisions<EtcdSnapshot> inS3 = Retention.decide(s3Copies, s3, c -> true, now);
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < succeeded.size(); i++) {
      EtcdSnapshot c = succeeded.get(i);
      Decision<EtcdSnapshot> l = onNodes.of(c).stream().findFirst().orElse(null);
      Decision<EtcdSnapshot> o = inS3.of(c).stream().findFirst().orElse(null);
      if (l == null && o == null) {
        continue; // no copy known: nothing to count
      }
      boolean localGoes = l != null && !l.kept();
      boolean s3Goes = o != null && !o.kept();
      Action action;
      if (i == 0) {
        action = Action.KEEP; // the newest success stays, always
      } else if ((l == null || localGoes) && (o == null || s3Goes)) {
        action = Action.DELETE;
      } else if (localGoes) {
        action = Action.DROP_LOCAL;
      } else if (s3Goes) {
        action = Action.DROP_S3;
      } else {
        action = Action.KEEP;
      }
      outcomes.add(new Outcome(c, SnapshotCopies.takenAt(c), l, o, action));
    }
    return new Plan(describe(spec), outcomes);
  }

  /** Newest first by the time in the name, then by resource name. */
  private static final Comparator<EtcdSnapshot> NEWEST_FIRST = Comparator
      .comparing(SnapshotCopies::takenAt, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(c -> c.getMetadata().getName()).reversed();
}
