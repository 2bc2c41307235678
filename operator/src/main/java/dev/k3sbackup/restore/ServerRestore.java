package dev.k3sbackup.restore;

import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SnapshotVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.util.List;

/**
 * The restoring server's own steps (K3s's single-server restore, and S1's part of the HA one):
 * verify the snapshot, (HA: wait until every peer's agent answers), stop K3s, reset the cluster from the snapshot, (HA: wait until every peer
 * has stopped and moved its data aside), start K3s, (HA: wait until every peer has rejoined).
 * Every step is journaled on the node before and after it runs, so an agent that is killed and
 * rerun resumes where it stopped; nothing is stopped before the snapshot has verified.
 */
public final class ServerRestore {

  /**
   * @param snapshot the snapshot file on this node
   * @param expectedSha256 the sha256 recorded when it was taken, or null when unknown
   * @param peers the status URLs of the peers' agents (HA), or none
   */
  public record Plan(Path snapshot, String expectedSha256, List<URI> peers) {
    public Plan(Path snapshot, String expectedSha256) {
      this(snapshot, expectedSha256, List.of());
    }
  }

  private final NodeHost host;
  private final JournaledSteps steps;
  private final PeerProbe probe;

  public ServerRestore(NodeHost host, RestoreJournal journal) {
    this(host, journal, null);
  }

  public ServerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe) {
    this.host = host;
    this.steps = new JournaledSteps(journal);
    this.probe = probe;
  }

  /** What this agent's status server reports. */
  public AgentStatus status(String node) {
    return steps.status(node, RestoreRole.SERVER);
  }

  /** Runs (or resumes) the steps; throws at the first that fails, after journaling it. */
  public void run(Plan plan) {
    steps.run(RestoreStep.VERIFY, () -> verify(plan));
    if (!plan.peers().isEmpty()) {
      steps.run(RestoreStep.AWAIT_PEERS_READY, () -> {
        probe.awaitAnswering(plan.peers());
        return "every peer's agent runs: nothing is stopped before all of them do";
      });
    }
    steps.run(RestoreStep.STOP, () -> {
      host.stopK3s();
      return "k3s stopped";
    });
    steps.run(RestoreStep.RESET, () -> "cluster reset from " + plan.snapshot() + "; the old data is in "
        + host.clusterReset(plan.snapshot()));
    if (!plan.peers().isEmpty()) {
      steps.run(RestoreStep.AWAIT_PEERS, () -> {
        probe.awaitAll(plan.peers(), RestoreStep.WIPE);
        return "every peer has stopped and moved its data aside";
      });
    }
    steps.run(RestoreStep.START, () -> {
      host.startK3s();
      return "k3s started";
    });
    if (!plan.peers().isEmpty()) {
      steps.run(RestoreStep.AWAIT_REJOIN, () -> {
        probe.awaitAll(plan.peers(), RestoreStep.START);
        return "every peer has rejoined";
      });
    }
  }

  private static String verify(Plan plan) {
    if (!Files.isRegularFile(plan.snapshot())) {
      throw new RestoreException("snapshot " + plan.snapshot() + " is not on this node: "
          + "nothing was stopped");
    }
    SnapshotVerifier.Verdict v;
    try (InputStream in = Files.newInputStream(plan.snapshot())) {
      v = SnapshotVerifier.verify(plan.snapshot().getFileName().toString(), in,
          ProgressListener.NONE);
    } catch (IOException e) {
      throw new RestoreException("cannot read " + plan.snapshot() + ": " + e.getMessage());
    }
    if (!v.ok()) {
      throw new RestoreException("snapshot " + plan.snapshot() + " " + v.problem()
          + ": nothing was stopped; restore from another snapshot");
    }
    if (plan.expectedSha256() != null && !plan.expectedSha256().equals(v.sha256())) {
      throw new RestoreException("snapshot " + plan.snapshot() + " has sha256 " + v.sha256()
          + " but " + plan.expectedSha256() + " was recorded when it was taken: it is not the "
          + "same file; nothing was stopped");
    }
    return "snapshot verified: etcd's trailer matches, sha256 " + v.sha256();
  }
}
