package dev.k3sbackup.kubectl;

import java.time.Clock;
import java.time.Duration;

/**
 * What the kubectl plugin takes from its surroundings, so that tests run it in-process with
 * their own clock and a short polling interval.
 *
 * @param clock names new resources ({@code <prefix>-<unix seconds>})
 * @param terminal whether a person watches stderr (then a save's progress is one refreshed line)
 * @param pollEvery how often a waiting verb reads the resource again
 */
public record PluginContext(Clock clock, boolean terminal, Duration pollEvery) {

  /** The real thing: system clock, a console check, one read a second. */
  public static PluginContext system() {
    return new PluginContext(Clock.systemUTC(), System.console() != null, Duration.ofSeconds(1));
  }
}
