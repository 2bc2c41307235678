package dev.k3sbackup.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that runs at real speed from a chosen start and that the test can move forward. */
public final class MutableClock extends Clock {

  private final long startNanos = System.nanoTime();
  private volatile Instant start;

  public MutableClock(Instant start) {
    this.start = start;
  }

  /** Jumps by {@code d} (it keeps running from there). */
  public void advance(Duration d) {
    start = start.plus(d);
  }

  @Override
  public Instant instant() {
    return start.plusNanos(System.nanoTime() - startNanos);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
