package dev.k3sbackup.cluster;

import dev.k3sbackup.contract.AgentSettings;
import dev.k3sbackup.validation.AllowList;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

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
 * @param home the operator's namespace, where adopted snapshots appear and every node agent Job
 *     runs
 * @param restoreAgentPort the port restore agents serve their progress on, on each server
 *     node's host network
 * @param watched the namespaces whose resources the operator acts on: by default only
 *     {@code home}; empty means every namespace ({@code WATCH_NAMESPACES=*})
 * @param allowed the host dirs and S3 endpoints a spec may name
 * @param safetySnapshotsKept how many restores' safety snapshots are kept (the newest)
 * @param oldDataKept how many {@code etcd-old-*} and {@code db-old-*} dirs a restore leaves on a
 *     node (the newest; K3s and the peers' agents move the data aside there)
 */
public record OperatorSettings(String agentImage, Clock clock, int maxAttempts,
    Duration retryBackoff, Duration cleanupTimeout, Duration recheck, String home,
    int restoreAgentPort, Set<String> watched, AllowList allowed, int safetySnapshotsKept,
    int oldDataKept) {

  /** The default number of safety snapshots kept. */
  public static final int SAFETY_SNAPSHOTS_KEPT = 3;
  /** The default number of {@code etcd-old-*} / {@code db-old-*} dirs kept per node. */
  public static final int OLD_DATA_KEPT = 2;

  public OperatorSettings {
    watched = Set.copyOf(watched);
  }

  public static OperatorSettings defaults(String agentImage) {
    return new OperatorSettings(agentImage, Clock.systemUTC(), 3, Duration.ofSeconds(30),
        Duration.ofMinutes(10), Duration.ofMinutes(5), "k3s-etcd-backup",
        AgentSettings.RESTORE_STATUS_PORT, Set.of("k3s-etcd-backup"), AllowList.defaults(),
        SAFETY_SNAPSHOTS_KEPT, OLD_DATA_KEPT);
  }

  /** Whether the operator acts on resources in every namespace. */
  public boolean watchesAllNamespaces() {
    return watched.isEmpty();
  }

  /** Whether the operator acts on resources in {@code namespace}. */
  public boolean watches(String namespace) {
    return watched.isEmpty() || watched.contains(namespace);
  }

  public OperatorSettings withRestoreAgentPort(int port) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, home, port, watched, allowed, safetySnapshotsKept, oldDataKept);
  }

  /** {@code wanted}, but never longer than {@link #recheck()}. */
  public Duration pollEvery(Duration wanted) {
    return wanted.compareTo(recheck) < 0 ? wanted : recheck;
  }

  public OperatorSettings withClock(Clock c) {
    return new OperatorSettings(agentImage, c, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, home, restoreAgentPort, watched, allowed, safetySnapshotsKept, oldDataKept);
  }

  public OperatorSettings withRetries(int attempts, Duration backoff) {
    return new OperatorSettings(agentImage, clock, attempts, backoff, cleanupTimeout, recheck,
        home, restoreAgentPort, watched, allowed, safetySnapshotsKept, oldDataKept);
  }

  public OperatorSettings withRecheck(Duration every) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        every, home, restoreAgentPort, watched, allowed, safetySnapshotsKept, oldDataKept);
  }

  /** The operator's namespace; it is watched too, whatever else is. */
  public OperatorSettings withHome(String namespace) {
    Set<String> w = watched.isEmpty() ? watched : Set.of(namespace);
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, namespace, restoreAgentPort, w, allowed, safetySnapshotsKept, oldDataKept);
  }

  /**
   * The namespaces to act on besides the operator's own (which is always watched); empty for
   * every namespace.
   */
  public OperatorSettings withWatched(Set<String> namespaces) {
    Set<String> w = new LinkedHashSet<>();
    if (!namespaces.isEmpty()) {
      w.add(home);
      w.addAll(namespaces);
    }
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, home, restoreAgentPort, w, allowed, safetySnapshotsKept, oldDataKept);
  }

  public OperatorSettings withAllowed(AllowList allow) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, home, restoreAgentPort, watched, allow, safetySnapshotsKept, oldDataKept);
  }

  public OperatorSettings withKept(int safetySnapshots, int oldData) {
    return new OperatorSettings(agentImage, clock, maxAttempts, retryBackoff, cleanupTimeout,
        recheck, home, restoreAgentPort, watched, allowed, safetySnapshots, oldData);
  }
}
