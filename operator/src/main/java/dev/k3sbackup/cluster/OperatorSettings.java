package dev.k3sbackup.cluster;

import dev.k3sbackup.contract.AgentSettings;
import java.time.Clock;
import java.time.Duration;

/**
 * How the reconcilers behave.
 *
 * @param agentImage the image the node agent Jobs run (the operator's own)
 * @param clock the time, injected so tests control schedules and backoff
 * @param maxAttempts how many Jobs one snapshot may take before it is Failed
 * @param retryBackoff the wait after the first failed attempt; it doubles after each
 * @param cleanupTimeout how long a deletion waits for a node or S3 before giving up loudly
 * @param recheck the longest a resource goes without being looked at again, and how often the
 *     snapshot dirs are scanned for snapshots to adopt
 * @param home the operator's namespace, where adopted snapshots appear
 * @param restoreAgentPort the port restore agents serve their progress on, on each server
 *     node's host network
 */
public record OperatorSettings(String agentImage, Clock clock, int maxAttempts,
    Duration retryBackoff, Duration cleanupTimeout, Duration recheck, String home,
    int restoreAgentPort) {

  public static OperatorSettings defaults(String agentImage) {
    return new OperatorSettings(agentImage, Clock.systemUTC(), 3, Duration.ofSeconds(30),
        Duration.ofMinutes(10), Duration.ofMinutes(5), "k3s-etcd-backup",
        AgentSettings.RESTORE_STATUS_PORT);
  }

  public OperatorSettings withRestoreAgentPort(int port) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, home, port);
  }

  /** {@code wanted}, but never longer than {@link #recheck()}. */
  public Duration pollEvery(Duration wanted) {
    return wanted.compareTo(recheck) < 0 ? wanted : recheck;
  }

  public OperatorSettings withClock(Clock c) {
    return new OperatorSettings(agentImage, c, maxAttempts, retryBackoff, cleanupTimeout, recheck, home, restoreAgentPort);
  }

  public OperatorSettings withRetries(int attempts, Duration backoff) {
    return new OperatorSettings(agentImage, clock, attempts, backoff, cleanupTimeout, recheck, home, restoreAgentPort);
  }

  public OperatorSettings withRecheck(Duration every) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        every, home, restoreAgentPort);
  }

  public OperatorSettings withHome(String namespace) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, namespace, restoreAgentPort);
  }
}
