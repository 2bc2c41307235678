package dev.k3sbackup.base;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Go-style durations as K3s takes them ({@code 90s}, {@code 5m}, {@code 1h30m}). */
public final class GoDuration {

  private GoDuration() {}

  /** Parses {@code value}; a bad or non-positive one is refused naming {@code field}. */
  public static Duration parse(String field, String value) {
    try {
      Duration d = Duration.parse("PT" + value.toUpperCase(Locale.ROOT));
      if (d.isNegative() || d.isZero()) {
        throw new DateTimeParseException("not positive", value, 0);
      }
      return d;
    } catch (DateTimeParseException e) {
      throw SnapshotException.badInput(field + " '" + value + "' is not a positive duration: "
          + "use e.g. 30s, 5m or 1h");
    }
  }
}
