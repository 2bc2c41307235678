package dev.k3sbackup.retention;

import dev.k3sbackup.base.Age;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A rule that may keep copies of one store. The engine asks every rule of the policy; a copy
 * that some rule keeps stays, and the decision names every rule that keeps it; a copy no rule
 * keeps goes.
 */
public interface KeepRule {

  /** The reason a copy this rule keeps is kept for. */
  Reason reason();

  /**
   * The copies of one store ({@code newestFirst}) this rule keeps: their index, each with what
   * to say about it ({@code newest 2 of 5}, {@code daily 2026-11-20}).
   */
  <S> Map<Integer, String> keeps(List<Copy<S>> newestFirst, Instant now);

  /** The rule in words, for the policy's description. */
  String describe();

  /**
   * K3s's retention: the {@code n} newest of each store; with {@code maxAge} (may be null)
   * only those of them taken within it.
   */
  static KeepRule newest(int n, Duration maxAge) {
    return new KeepRule() {
      @Override
      public Reason reason() {
        return Reason.WITHIN_RETENTION;
      }

      @Override
      public <S> Map<Integer, String> keeps(List<Copy<S>> newestFirst, Instant now) {
        Map<Integer, String> kept = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(n, newestFirst.size()); i++) {
          if (maxAge == null || !tooOld(newestFirst.get(i), maxAge, now)) {
            kept.put(i, "newest " + (i + 1) + " of " + n);
          }
        }
        return kept;
      }

      @Override
      public String describe() {
        return "the " + n + " newest" + (maxAge == null ? "" : " taken within "
            + Age.format(maxAge));
      }
    };
  }

  /** Whether {@code c} was taken longer than {@code maxAge} before {@code now}. */
  static boolean tooOld(Copy<?> c, Duration maxAge, Instant now) {
    return c.takenAt() != null && c.takenAt().plus(maxAge).isBefore(now);
  }

  /** The newest copy of each of the {@code n} newest hours that have copies, in {@code zone}. */
  static KeepRule hourly(int n, ZoneId zone) {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:00xxx");
    return periodic(Reason.HOURLY, n, zone,
        t -> t.truncatedTo(ChronoUnit.HOURS).format(f));
  }

  /** The newest copy of each of the {@code n} newest days that have copies, in {@code zone}. */
  static KeepRule daily(int n, ZoneId zone) {
    return periodic(Reason.DAILY, n, zone, t -> t.toLocalDate().toString());
  }

  /**
   * The newest copy of each of the {@code n} newest ISO weeks (Monday to Sunday) that have
   * copies, in {@code zone}.
   */
  static KeepRule weekly(int n, ZoneId zone) {
    return periodic(Reason.WEEKLY, n, zone, t -> String.format("%d-W%02d",
        t.get(IsoFields.WEEK_BASED_YEAR), t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)));
  }

  /** The newest copy of each of the {@code n} newest months that have copies, in {@code zone}. */
  static KeepRule monthly(int n, ZoneId zone) {
    return periodic(Reason.MONTHLY, n, zone, t -> String.format("%d-%02d", t.getYear(),
        t.getMonthValue()));
  }

  /**
   * Grandfather-father-son: the newest copy in each period ({@code period} names a copy's
   * period from its time in {@code zone}), for the {@code n} newest periods that have copies
   * (as restic's and borg's {@code --keep-daily} count: a day without snapshots uses up none).
   */
  private static KeepRule periodic(Reason reason, int n, ZoneId zone,
      Function<ZonedDateTime, String> period) {
    return new KeepRule() {
      @Override
      public Reason reason() {
        return reason;
      }

      @Override
      public <S> Map<Integer, String> keeps(List<Copy<S>> newestFirst, Instant now) {
        Map<Integer, String> kept = new LinkedHashMap<>();
        String last = null;
        int periods = 0;
        for (int i = 0; i < newestFirst.size() && periods < n; i++) {
          Instant t = newestFirst.get(i).takenAt();
          if (t == null) {
            continue;
          }
          String p = period.apply(t.atZone(zone));
          if (!p.equals(last)) { // newest first: the first of a period is its newest
            last = p;
            periods++;
            kept.put(i, reason.label() + " " + p);
          }
        }
        return kept;
      }

      @Override
      public String describe() {
        return n + " " + reason.label();
      }
    };
  }

  /** Every copy of a pinned snapshot ({@code k3sbackup.dev/keep: "true"}). */
  static KeepRule pinned() {
    return new KeepRule() {
      @Override
      public Reason reason() {
        return Reason.PINNED;
      }

      @Override
      public <S> Map<Integer, String> keeps(List<Copy<S>> newestFirst, Instant now) {
        Map<Integer, String> kept = new LinkedHashMap<>();
        for (int i = 0; i < newestFirst.size(); i++) {
          if (newestFirst.get(i).pinned()) {
            kept.put(i, "pinned (k3sbackup.dev/keep)");
          }
        }
        return kept;
      }

      @Override
      public String describe() {
        return "pinned ones";
      }
    };
  }

  /** The newest copy of the store whose snapshot passed a restore drill. */
  static KeepRule newestRestorable() {
    return new KeepRule() {
      @Override
      public Reason reason() {
        return Reason.NEWEST_RESTORABLE;
      }

      @Override
      public <S> Map<Integer, String> keeps(List<Copy<S>> newestFirst, Instant now) {
        for (int i = 0; i < newestFirst.size(); i++) {
          if (newestFirst.get(i).restorable()) {
            return Map.of(i, "newest proven restorable (passed a drill)");
          }
        }
        return Map.of();
      }

      @Override
      public String describe() {
        return "the newest that passed a drill";
      }
    };
  }
}
