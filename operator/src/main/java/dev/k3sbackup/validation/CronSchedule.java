package dev.k3sbackup.validation;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** A validated 5-field cron schedule in a time zone (K3s's --etcd-snapshot-schedule-cron). */
public final class CronSchedule {

  private static final CronParser PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final ExecutionTime times;
  private final ZoneId zone;

  private CronSchedule(ExecutionTime times, ZoneId zone) {
    this.times = times;
    this.zone = zone;
  }

  /**
   * Parses and checks a schedule: it must parse and fire at least once in the coming years.
   *
   * @return the schedule, or the problem naming the field
   */
  public static Result parse(String cron, String timeZone, Instant now) {
    ZoneId zone;
    try {
      zone = timeZone == null || timeZone.isBlank() ? ZoneOffset.UTC : ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      return new Result(null, new SpecProblem("InvalidTimeZone", "spec.timeZone '" + timeZone
          + "' is not an IANA time zone: use e.g. UTC or Europe/Berlin"));
    }
    ExecutionTime times;
    try {
      times = ExecutionTime.forCron(PARSER.parse(cron));
    } catch (IllegalArgumentException e) {
      return new Result(null, new SpecProblem("InvalidSchedule", "spec.schedule '" + cron
          + "' is not a 5-field cron expression (" + e.getMessage() + "): e.g. '0 */12 * * *'"));
    }
    CronSchedule schedule = new CronSchedule(times, zone);
    if (schedule.nextAfter(now).isEmpty()) {
      return new Result(null, new SpecProblem("ScheduleNeverFires", "spec.schedule '" + cron
          + "' never fires (no such date): fix the day and month fields"));
    }
    return new Result(schedule, null);
  }

  /**
   * @param schedule the schedule when valid
   * @param problem why not, otherwise
   */
  public record Result(CronSchedule schedule, SpecProblem problem) {}

  /** The first fire time strictly after {@code t}. */
  public Optional<Instant> nextAfter(Instant t) {
    return times.nextExecution(ZonedDateTime.ofInstant(t, zone)).map(ZonedDateTime::toInstant);
  }

  /** The latest fire time at or before {@code t}. */
  public Optional<Instant> latestAtOrBefore(Instant t) {
    Instant minute = t.truncatedTo(ChronoUnit.MINUTES);
    if (times.isMatch(ZonedDateTime.ofInstant(minute, zone))) {
      return Optional.of(minute);
    }
    return times.lastExecution(ZonedDateTime.ofInstant(t, zone)).map(ZonedDateTime::toInstant);
  }
}
