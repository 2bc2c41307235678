package dev.k3sbackup.e2e;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Polls until something holds, failing with what was last seen: a real cluster takes its time,
 * and a timeout that says only "false" helps nobody.
 */
final class Eventually {

  private Eventually() {}

  /**
   * Asks {@code probe} every {@code every} until it returns a value, and returns that value.
   * Exceptions from the probe (the API server away during a restore) count as "not yet"; the
   * last one is reported if time runs out.
   *
   * @param what what is awaited, for the failure message
   * @param seen what was last observed, for the failure message
   */
  static <T> T await(String what, Duration timeout, Duration every,
      Supplier<Optional<T>> probe, Supplier<String> seen) {
    Instant deadline = Instant.now().plus(timeout);
    RuntimeException last = null;
    while (true) {
      try {
        Optional<T> value = probe.get();
        if (value.isPresent()) {
          return value.get();
        }
        last = null;
      } catch (RuntimeException e) {
        last = e;
      }
      if (Instant.now().isAfter(deadline)) {
        String observed;
        try {
          observed = seen.get();
        } catch (RuntimeException e) {
          observed = "(cannot tell: " + e.getMessage() + ")";
        }
        AssertionError failure = new AssertionError("not within " + timeout.toSeconds() + " s: "
            + what + "; last seen: " + observed
            + (last == null ? "" : "; last error: " + last.getMessage()));
        if (last != null) {
          failure.initCause(last);
        }
        throw failure;
      }
      try {
        Thread.sleep(every.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
