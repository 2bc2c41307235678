package dev.k3sbackup.restore;

import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import java.net.URI;
import java.util.List;

/**
 * A peer's steps in an HA restore (S2, S3 in K3s's guide): wait until the restoring server has
 * verified the snapshot (nothing is stopped before), stop K3s, move {@code server/db}
 * aside, wait until the restoring server has started from the snapshot, then start K3s so it
 * rejoins the restored cluster. Journaled like the server's, and coordinated through the
 * server agent's status, not through the API (which is down meanwhile).
 */
public final class PeerRestore {

  private final NodeHost host;
  private final JournaledSteps steps;
  private final PeerProbe probe;

  public PeerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe) {
    this.host = host;
    this.steps = new JournaledSteps(journal);
    this.probe = probe;
  }

  public AgentStatus status(String node) {
    return steps.status(node, RestoreRole.PEER);
  }

  /** @param server the restoring server agent's status URL */
  public void run(URI server) {
    steps.run(RestoreStep.AWAIT_VERIFY, () -> {
      probe.awaitAll(List.of(server), RestoreStep.VERIFY);
      return "the restoring server has verified the snapshot";
    });
    steps.run(RestoreStep.STOP, () -> {
      host.stopK3s();
      return "k3s stopped";
    });
    steps.run(RestoreStep.WIPE, () -> "server/db moved aside to " + host.moveDbAside());
    steps.run(RestoreStep.AWAIT_SERVER, () -> {
      probe.awaitAll(List.of(server), RestoreStep.START);
      return "the restoring server is up";
    });
    steps.run(RestoreStep.START, () -> {
      host.startK3s();
      return "k3s started and rejoined";
    });
  }
}
