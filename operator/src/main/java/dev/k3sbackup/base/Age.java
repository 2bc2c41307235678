package dev.k3sbackup.base;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ages as retention and drills take them: weeks, days, hours and minutes, largest first
 * ({@code 30d}, {@code 2w}, {@code 1w3d}, {@code 36h}, {@code 90m}). A day is 24 hours.
 */
public final class Age {

  /** The CRDs' pattern for an age (the schema refuses anything else). */
  public static final String PATTERN = "^([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?$";
  private static final Pattern PARSED = Pattern.compile(
      "([0-9]{1,6}w)?([0-9]{1,6}d)?([0-9]{1,7}h)?([0-9]{1,9}m)?");

  private Age() {}

  /** Parses {@code value}; an empty, malformed or zero one is refused naming {@code field}. */
  public static Duration parse(String field, String value) {
    Matcher m = value == null ? null : PARSED.matcher(value.strip());
    if (m == null || value.isBlank() || !m.matches()) {
      throw SnapshotException.badInput(field + " '" + value + "' is not an age: use weeks, "
          + "days, hours and minutes such as 30d, 2w, 1w3d or 36h");
    }
    Duration d = Duration.ZERO;
    d = d.plusDays(7 * number(m.group(1)));
    d = d.plusDays(number(m.group(2)));
    d = d.plusHours(number(m.group(3)));
    d = d.plusMinutes(number(m.group(4)));
    if (d.isZero()) {
      throw SnapshotException.badInput(field + " '" + value + "' is zero: give an age "
          + "longer than that, such as 30d");
    }
    return d;
  }

  /** {@code d} in the same form, largest units first ({@code 1w2d}, {@code 36h} as 1d12h). */
  public static String format(Duration d) {
    long minutes = d.toMinutes();
    StringBuilder s = new StringBuilder();
    long weeks = minutes / (7 * 24 * 60);
    minutes %= 7 * 24 * 60;
    long days = minutes / (24 * 60);
    minutes %= 24 * 60;
    long hours = minutes / 60;
    minutes %= 60;
    if (weeks > 0) {
      s.append(weeks).append('w');
    }
    if (days > 0) {
      s.append(days).append('d');
    }
    if (hours > 0) {
      s.append(hours).append('h');
    }
    if (minutes > 0 || s.length() == 0) {
      s.append(minutes).append('m');
    }
    return s.toString();
  }

  private static long number(String group) {
    return group == null ? 0 : Long.parseLong(group.substring(0, group.length() - 1));
  }
}
