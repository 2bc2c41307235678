package dev.k3sbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.base.Age;
import dev.k3sbackup.base.SnapshotException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The engine's policies beyond K3s's count (maxAge, hourly/daily/weekly/monthly, pinned, the
 * newest restorable) over years of simulated snapshots, decided at once and as a schedule
 * prunes after every run.
 */
class RetentionPoliciesTest {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final Store NODE = Store.local("s1");

  /** A snapshot every {@code every} from {@code first} to {@code last}, both included. */
  private static List<Copy<Instant>> every(Duration every, Instant first, Instant last) {
    List<Copy<Instant>> copies = new ArrayList<>();
    for (Instant t = first; !t.isAfter(last); t = t.plus(every)) {
      copies.add(copy(t, false, false));
    }
    return copies;
  }

  private static Copy<Instant> copy(Instant t, boolean pinned, boolean restorable) {
    String name = "k3sbackup-scheduled-s1-" + t.getEpochSecond();
    return new Copy<>(t, NODE, name, t, "file:///s/" + name, pinned, restorable);
  }

  private static RetentionPolicy gfs(int keep, Duration maxAge, int h, int d, int w, int m,
      ZoneId zone) {
    return new RetentionPolicy(null, keep, maxAge, h, d, w, m, zone);
  }

  private static Map<Instant, Decision<Instant>> kept(Decisions<Instant> d) {
    Map<Instant, Decision<Instant>> kept = new TreeMap<>();
    d.all().stream().filter(Decision::kept).forEach(x -> kept.put(x.copy().snapshot(), x));
    return kept;
  }

  @Test
  void threeYearsOfHourlySnapshotsKeepExactlyTheGrandfatherFatherSonSetInTheScheduleZone() {
    Instant now = Instant.parse("2026-11-21T12:00:00Z"); // a Saturday, 13:00 in Berlin (CET)
    List<Copy<Instant>> copies = every(Duration.ofHours(1), now.minus(Duration.ofDays(3 * 365)),
        now);
    assertThat(copies).hasSize(3 * 365 * 24 + 1);

    Decisions<Instant> d = Retention.decide(copies, gfs(5, null, 24, 7, 4, 12, BERLIN),
        s -> true, now);

    Set<Instant> expected = new HashSet<>();
    for (int h = 0; h < 24; h++) { // the 24 newest hours (the 5 newest among them)
      expected.add(now.minus(Duration.ofHours(h)));
    }
    for (int day = 15; day <= 20; day++) { // each day's newest: 23:00 in Berlin is 22:00Z
      expected.add(Instant.parse("2026-11-" + day + "T22:00:00Z"));
    }
    // ISO weeks 46 (its Sunday the 15th, a daily already), 45 and 44
    expected.add(Instant.parse("2026-11-08T22:00:00Z"));
    expected.add(Instant.parse("2026-11-01T22:00:00Z"));
    // each month's newest: its last hour in Berlin, 22:00Z in winter time, 21:00Z in summer time
    for (String month : List.of("2026-10-31T22", "2026-09-30T21", "2026-08-31T21",
        "2026-07-31T21", "2026-06-30T21", "2026-05-31T21", "2026-04-30T21", "2026-03-31T21",
        "2026-02-28T22", "2026-01-31T22", "2025-12-31T22")) {
      expected.add(Instant.parse(month + ":00:00Z"));
    }
    Map<Instant, Decision<Instant>> kept = kept(d);
    assertThat(kept.keySet()).containsExactlyInAnyOrderElementsOf(expected).hasSize(42);
    assertThat(kept.get(now).reasons()).containsExactly(Reason.WITHIN_RETENTION, Reason.HOURLY,
        Reason.DAILY, Reason.WEEKLY, Reason.MONTHLY);
    assertThat(kept.get(now).why()).isEqualTo("newest 1 of 5, hourly 2026-11-21T13:00+01:00, "
        + "daily 2026-11-21, weekly 2026-W47, monthly 2026-11");
    assertThat(kept.get(Instant.parse("2026-11-15T22:00:00Z")).why())
        .isEqualTo("daily 2026-11-15, weekly 2026-W46");
    assertThat(kept.get(Instant.parse("2026-11-01T22:00:00Z")).why())
        .isEqualTo("weekly 2026-W44");
    assertThat(kept.get(Instant.parse("2025-12-31T22:00:00Z")).why())
        .isEqualTo("monthly 2025-12");
    Decision<Instant> gone = d.all().stream().filter(x -> !x.kept()).findFirst().orElseThrow();
    assertThat(gone.reason()).isEqualTo(Reason.BEYOND_RETENTION);
    assertThat(gone.why()).isEqualTo("beyond retention (the 5 newest, 24 hourly, 7 daily, "
        + "4 weekly, 12 monthly (Europe/Berlin))");
  }

  @Test
  void pruningAfterEveryRunForFiveYearsEndsWhereOneDecisionOverAllOfThemEnds() {
    RetentionPolicy policy = gfs(3, Duration.ofDays(2), 0, 7, 5, 24, BERLIN);
    Instant start = Instant.parse("2021-03-01T00:00:00Z");
    Instant end = start.plus(Duration.ofDays(5 * 365 + 1));
    List<Copy<Instant>> stored = new ArrayList<>();
    List<Copy<Instant>> history = new ArrayList<>();
    int most = 0;
    // the default schedule's times, 00:00 and 12:00 UTC, with some runs missed now and then
    for (Instant t = start; t.isBefore(end); t = t.plus(Duration.ofHours(12))) {
      if (t.getEpochSecond() / 43200 % 17 == 5) {
        continue;
      }
      Copy<Instant> run = copy(t, false, false);
      stored.add(run);
      history.add(run);
      Decisions<Instant> d = Retention.decide(stored, policy, s -> true, t);
      List<Copy<Instant>> deleted = d.deleted();
      assertThat(deleted).as("the newest run is never deleted").doesNotContain(run);
      stored.removeAll(deleted);
      most = Math.max(most, stored.size());
    }
    Instant now = history.get(history.size() - 1).takenAt();

    Decisions<Instant> once = Retention.decide(history, policy, s -> true, now);

    assertThat(stored).containsExactlyInAnyOrderElementsOf(kept(once).values().stream()
        .map(Decision::copy).toList());
    // a week of dailies, five weeks and two years of months: bounded however long it runs
    assertThat(most).isLessThanOrEqualTo(3 + 7 + 5 + 24);
    Set<String> months = stored.stream().map(c -> c.takenAt().atZone(BERLIN).toLocalDate()
        .toString().substring(0, 7)).collect(Collectors.toSet());
    assertThat(months).hasSize(24);
    assertThat(stored).allMatch(c -> !c.takenAt().isBefore(now.minus(Duration.ofDays(745))));
  }

  @Test
  void maxAgeLimitsTheCountAndSaysSoAndTheNewestStaysWhenAllAreOld() {
    Instant now = Instant.parse("2026-11-21T12:00:00Z");
    List<Copy<Instant>> copies = every(Duration.ofHours(12), now.minus(Duration.ofDays(10)),
        now);

    Decisions<Instant> d = Retention.decide(copies, gfs(10, Age.parse("maxAge", "2d"), 0, 0, 0,
        0, null), s -> true, now);

    assertThat(kept(d).keySet()).containsExactly(now.minus(Duration.ofHours(48)),
        now.minus(Duration.ofHours(36)), now.minus(Duration.ofHours(24)),
        now.minus(Duration.ofHours(12)), now);
    assertThat(d.all()).filteredOn(x -> !x.kept()).extracting(Decision::reason)
        .containsOnly(Reason.OLDER_THAN_MAX_AGE, Reason.BEYOND_RETENTION);
    assertThat(d.all().get(5).why()).isEqualTo("older than maxAge 2d");
    assertThat(d.all().get(10).reason()).isEqualTo(Reason.BEYOND_RETENTION);

    // the schedule stopped a month ago: every snapshot is older than maxAge
    Instant later = now.plus(Duration.ofDays(30));
    Decisions<Instant> stale = Retention.decide(copies, gfs(10, Age.parse("maxAge", "2d"), 0, 0,
        0, 0, null), s -> true, later);
    assertThat(kept(stale).keySet()).containsExactly(now);
    assertThat(kept(stale).get(now).reason()).isEqualTo(Reason.NEWEST_GOOD);
  }

  @Test
  void aPinnedSnapshotStaysForeverAndTheNewestRestorableBeyondRetention() {
    Instant now = Instant.parse("2026-11-21T12:00:00Z");
    Instant pinnedAt = now.minus(Duration.ofDays(800));
    Instant drilledAt = now.minus(Duration.ofDays(3));
    List<Copy<Instant>> copies = new ArrayList<>(every(Duration.ofDays(1),
        now.minus(Duration.ofDays(1000)), now));
    copies.replaceAll(c -> c.takenAt().equals(pinnedAt) ? copy(pinnedAt, true, false)
        : c.takenAt().equals(drilledAt) || c.takenAt().equals(drilledAt.minus(Duration.ofDays(1)))
            ? copy(c.takenAt(), false, true) : c);

    Decisions<Instant> d = Retention.decide(copies, RetentionPolicy.keepNewest(2), s -> true,
        now);

    Map<Instant, Decision<Instant>> kept = kept(d);
    assertThat(kept.keySet()).containsExactly(pinnedAt, drilledAt, now.minus(Duration.ofDays(1)),
        now);
    assertThat(kept.get(pinnedAt).reasons()).containsExactly(Reason.PINNED);
    assertThat(kept.get(pinnedAt).why()).isEqualTo("pinned (k3sbackup.dev/keep)");
    assertThat(kept.get(drilledAt).reasons()).containsExactly(Reason.NEWEST_RESTORABLE);
  }

  @Test
  void hoursAreCountedInTheZoneSoTheHourRepeatedWhenClocksGoBackIsTwoHours() {
    // 2026-10-25: Berlin goes from 03:00 CEST back to 02:00 CET; 02:xx happens twice
    List<Copy<Instant>> copies = every(Duration.ofMinutes(30),
        Instant.parse("2026-10-24T23:00:00Z"), Instant.parse("2026-10-25T01:30:00Z"));

    Decisions<Instant> d = Retention.decide(copies, gfs(1, null, 3, 0, 0, 0, BERLIN), s -> true,
        Instant.parse("2026-10-25T02:00:00Z"));

    assertThat(kept(d).values()).extracting(Decision::why).containsExactlyInAnyOrder(
        "hourly 2026-10-25T01:00+02:00",
        "hourly 2026-10-25T02:00+02:00",
        "newest 1 of 1, hourly 2026-10-25T02:00+01:00");
  }

  @Test
  void weeksAreIsoWeeksSoTheTurnOfTheYearIsOneWeek() {
    // 2026-12-28 (Monday) to 2027-01-03 (Sunday) is ISO week 2026-W53
    List<Copy<Instant>> copies = every(Duration.ofDays(1), Instant.parse("2026-12-27T12:00:00Z"),
        Instant.parse("2027-01-05T12:00:00Z"));

    Decisions<Instant> d = Retention.decide(copies, gfs(1, null, 0, 0, 3, 0, ZoneOffset.UTC),
        s -> true, Instant.parse("2027-01-05T13:00:00Z"));

    assertThat(kept(d).values()).extracting(Decision::why).containsExactly(
        "weekly 2026-W52", "weekly 2026-W53", "newest 1 of 1, weekly 2027-W01");
  }

  @Test
  void agesReadWeeksDaysHoursAndMinutesAndRefuseTheRest() {
    assertThat(Age.parse("f", "1w2d3h4m")).isEqualTo(Duration.ofDays(9).plusHours(3)
        .plusMinutes(4));
    assertThat(Age.format(Duration.ofHours(36))).isEqualTo("1d12h");
    assertThat(Age.format(Duration.ofDays(30))).isEqualTo("4w2d");
    for (String bad : List.of("", "0d", "30 days", "1h2d", "-1d", "P30D", "5s")) {
      assertThatThrownBy(() -> Age.parse("spec.maxAge", bad)).as(bad)
          .isInstanceOf(SnapshotException.class).hasMessageContaining("spec.maxAge");
    }
  }
}
