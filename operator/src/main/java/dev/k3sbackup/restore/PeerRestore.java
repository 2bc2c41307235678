package dev.k3sbackup.restore;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * A peer's steps in an HA restore (S2, S3 in K3s's guide): wait until the restoring server has
 * verified the snapshot (nothing is stopped before), stop K3s, move {@code server/db}
 * aside, wait until the restoring server has started from the snapshot, then start K3s so it
 * rejoins the restored cluster. Journaled like the server's, and coordinated through the
 * server agent's status, not through the API (which is down meanwhile).
 */
public final class PeerRestore {

  public static final String WIPE = "wipe";
  public static final String START = "start";
  /** The steps, in order. */
  public static final List<String> STEPS = List.of("await-verify", "stop", WIPE, "await-server",
      START);

  private final NodeHost host;
  private final JournaledSteps steps;
  private final PeerProbe probe;

  public PeerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe) {
    this.host = host;
    this.steps = new JournaledSteps(journal);
    this.probe = probe;
  }

  public Map<String, Object> status(String node) {
    return steps.status(node, "peer");
  }

  /** @param server the restoring server agent's status URL */
  public void run(URI server) {
    steps.run("await-verify", () -> {
      probe.awaitAll(List.of(server), ServerRestore.VERIFY);
      return "the restoring server has verified the snapshot";
    });
    steps.run("stop", () -> {
      host.stopK3s();
      return "k3s stopped";
    });
    steps.run(WIPE, () -> "server/db moved aside to " + host.moveDbAside());
    steps.run("await-server", () -> {
      probe.awaitAll(List.of(server), ServerRestore.START);
      return "the restoring server is up";
    });
    steps.run(START, () -> {
      host.startK3s();
      return "k3s started and rejoined";
    });
  }
}
