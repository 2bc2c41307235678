package dev.k3sbackup.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

  private static final Instant NOON = Instant.parse("2026-11-21T12:00:00Z");

  @Test
  void k3sDefaultFiresAtMidnightAndNoon() {
    CronSchedule s = CronSchedule.parse("0 */12 * * *", null, NOON).schedule();
    assertThat(s.nextAfter(NOON)).contains(Instant.parse("2026-11-22T00:00:00Z"));
    assertThat(s.latestAtOrBefore(NOON.plusSeconds(30))).contains(NOON);
    assertThat(s.latestAtOrBefore(NOON.minusSeconds(1)))
        .contains(Instant.parse("2026-11-21T00:00:00Z"));
  }

  @Test
  void readsTheScheduleInItsTimeZone() {
    CronSchedule berlin = CronSchedule.parse("0 2 * * *", "Europe/Berlin", NOON).schedule();
    assertThat(berlin.nextAfter(NOON)).contains(Instant.parse("2026-11-22T01:00:00Z"));
  }

  @Test
  void refusesWhatNeverFiresOrDoesNotParse() {
    assertThat(CronSchedule.parse("0 0 30 2 *", null, NOON).problem().reason())
        .isEqualTo("ScheduleNeverFires");
    assertThat(CronSchedule.parse("@daily", null, NOON).problem().message())
        .contains("spec.schedule '@daily'");
    assertThat(CronSchedule.parse("0 * * *", null, NOON).problem().reason())
        .isEqualTo("InvalidSchedule");
    assertThat(CronSchedule.parse("0 * * * *", "Mars/Olympus", NOON).problem().message())
        .contains("spec.timeZone 'Mars/Olympus'");
  }

}
