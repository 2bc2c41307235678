package dev.k3sbackup.operator;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * How the operator process runs, beside what its reconcilers do: the HTTP port of its metrics and
 * probes, and leader election. From the environment:
 *
 * <ul>
 *   <li>{@code METRICS_PORT}: port of {@code /metrics}, {@code /healthz}, {@code /readyz}
 *       (default 8080; 0 picks a free one).
 *   <li>{@code LEADER_ELECTION}: {@code true} (default) or {@code false}. With it, replicas
 *       compete for the Lease {@code LEADER_ELECTION_LEASE} (default
 *       {@value #DEFAULT_LEASE}) in {@code OPERATOR_NAMESPACE}; only the holder reconciles and
 *       scans for snapshots to adopt, the others stand by ready.
 *   <li>{@code POD_NAME} (else {@code HOSTNAME}): this replica's identity in the Lease.
 * </ul>
 *
 * @param httpPort the metrics and probes port
 * @param leaderElection how to elect a leader; empty to act alone
 */
public record ProcessSettings(int httpPort, Optional<LeaderElection> leaderElection) {

  public static final String DEFAULT_LEASE = "k3s-etcd-backup-leader";
  public static final int DEFAULT_PORT = 8080;

  /**
   * Leader election through a Lease.
   *
   * @param lease the Lease's name
   * @param namespace its namespace (the operator's)
   * @param identity this replica's name in it
   * @param leaseDuration how long a leader that stopped renewing keeps the Lease
   * @param renewDeadline how long the leader tries to renew before it gives up leading
   * @param retryPeriod how often candidates try
   * @param exitOnLoss end the process when leadership is lost (production: a restart starts
   *     clean, and no two replicas ever act at once); tests keep the JVM
   */
  public record LeaderElection(String lease, String namespace, String identity,
      Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, boolean exitOnLoss) {

    /** Kubernetes' usual timings: a standby takes over within about 15 s of a leader's end. */
    public static LeaderElection of(String lease, String namespace, String identity) {
      return new LeaderElection(lease, namespace, identity, Duration.ofSeconds(15),
          Duration.ofSeconds(10), Duration.ofSeconds(2), true);
    }
  }

  /** Acting alone, metrics on {@code port}. */
  public static ProcessSettings alone(int port) {
    return new ProcessSettings(port, Optional.empty());
  }

  /**
   * Reads the environment.
   *
   * @throws IllegalArgumentException naming the variable and what it takes
   */
  public static ProcessSettings fromEnv(Map<String, String> env, String operatorNamespace) {
    int port = port(env.getOrDefault("METRICS_PORT", Integer.toString(DEFAULT_PORT)).trim());
    String elect = env.getOrDefault("LEADER_ELECTION", "true").trim().toLowerCase();
    if (!elect.equals("true") && !elect.equals("false")) {
      throw new IllegalArgumentException("LEADER_ELECTION '" + env.get("LEADER_ELECTION")
          + "' must be true or false");
    }
    if (elect.equals("false")) {
      return alone(port);
    }
    String lease = env.getOrDefault("LEADER_ELECTION_LEASE", DEFAULT_LEASE).trim();
    if (!lease.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      throw new IllegalArgumentException("LEADER_ELECTION_LEASE '" + lease + "' is not a valid "
          + "resource name (lower-case letters, digits, '-' and '.')");
    }
    String identity = firstSet(env.get("POD_NAME"), env.get("HOSTNAME"))
        .orElse("k3s-etcd-backup-" + UUID.randomUUID());
    return new ProcessSettings(port, Optional.of(LeaderElection.of(lease, operatorNamespace,
        identity)));
  }

  private static int port(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("METRICS_PORT '" + value + "' is not a port number "
        + "(0-65535; default " + DEFAULT_PORT + ")");
  }

  private static Optional<String> firstSet(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return Optional.of(v.trim());
      }
    }
    return Optional.empty();
  }
}
