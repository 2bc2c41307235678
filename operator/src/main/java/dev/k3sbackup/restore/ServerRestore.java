package dev.k3sbackup.restore;

import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SnapshotVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restoring server's own steps (K3s's single-server restore, and S1's part of the HA one), in
 * K3s's documented order made safe:
 *
 * <ol>
 *   <li>verify the snapshot, and make the file the reset gets (its revision bumped and marked
 *       compacted, so that clients' caches see the rollback); (HA) wait until every peer's agent
 *       answers: nothing stops before;
 *   <li>stop K3s here (the peers keep serving: the old cluster keeps its quorum meanwhile);
 *   <li>reset from the snapshot. If it fails, the data it moved aside is put back and K3s
 *       started again on it: the node is as it was, and the peers, which wait for this step,
 *       are never touched;
 *   <li>(HA) wait until every peer has stopped and moved its data aside. If some did not, the
 *       old cluster may still have quorum on them: then the reset is undone here too and K3s
 *       started on its own data (nothing changed); otherwise the restored K3s starts, and the
 *       peers that could not follow are named;
 *   <li>start K3s from the snapshot; (HA) wait until every peer has rejoined.
 * </ol>
 *
 * <p>Every step is journaled on the node before and after it runs, so an agent that is killed
 * and rerun resumes where it stopped.
 */
public final class ServerRestore {

  private static final Logger LOG = LoggerFactory.getLogger(ServerRestore.class);

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
  private final SnapshotPreparer preparer;

  public ServerRestore(NodeHost host, RestoreJournal journal) {
    this(host, journal, null);
  }

  public ServerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe) {
    this(host, journal, probe, SnapshotPreparer.AS_IS);
  }

  /** @param preparer makes the file the reset gets (the revision-bumped copy) */
  public ServerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe,
      SnapshotPreparer preparer) {
    this.host = host;
    this.steps = new JournaledSteps(journal);
    this.probe = probe;
    this.preparer = preparer;
  }

  /** What this agent's status server reports. */
  public AgentStatus status(String node) {
    return steps.status(node, RestoreRole.SERVER);
  }

  /** Runs (or resumes) the steps; throws at the first that fails, after journaling it. */
  public void run(Plan plan) {
    boolean ha = !plan.peers().isEmpty();
    steps.run(RestoreStep.VERIFY, () -> verify(plan));
    steps.runLeaving(RestoreStep.PREPARE, () -> {
      SnapshotPreparer.Prepared p = preparer.prepare(plan.snapshot());
      return new JournaledSteps.Outcome(p.message(), p.file().toString());
    });
    Path resetFrom = steps.pathOf(RestoreStep.PREPARE).map(Path::of).orElse(plan.snapshot());
    if (ha) {
      steps.run(RestoreStep.AWAIT_PEERS_READY, () -> {
        probe.awaitAnswering(plan.peers());
        return "every peer's agent answers: nothing is stopped before all of them do";
      });
    }
    steps.run(RestoreStep.STOP, () -> {
      try {
        host.stopK3s();
      } catch (RuntimeException e) {
        throw new RestoreException(e.getMessage() + "; " + startAgain("nothing was reset"));
      }
      return "k3s stopped (no k3s server process left)" + (ha ? "; the peers keep serving" : "");
    });
    steps.runLeaving(RestoreStep.RESET, () -> {
      try {
        Path old = host.clusterReset(resetFrom);
        return new JournaledSteps.Outcome("cluster reset from " + resetFrom
            + "; the old data is in " + old, old.toString());
      } catch (NodeHost.ResetFailed e) {
        String undone = undo(e.movedAside());
        throw new RestoreException(e.getMessage() + "; " + undone + "; "
            + startAgain(ha ? "the peers were not touched" : "nothing changed"));
      }
    });
    if (ha) {
      awaitPeersAside(plan);
    }
    steps.run(RestoreStep.START, () -> {
      startOrRetry();
      return "k3s started from the snapshot";
    });
    if (ha) {
      steps.run(RestoreStep.AWAIT_REJOIN, () -> {
        probe.awaitAll(plan.peers(), RestoreStep.START);
        return "every peer has rejoined";
      });
    }
    removeDecryptedCopy(plan.snapshot());
  }

  /**
   * The plaintext a preflight decrypted from an encrypted snapshot (all of etcd, every Secret)
   * is not left on the node once K3s runs on the restored data; the encrypted snapshot stays.
   */
  private static void removeDecryptedCopy(Path snapshot) {
    if (snapshot.getFileName() == null
        || !dev.k3sbackup.base.SnapshotName.isDecryptedCopy(snapshot.getFileName().toString())) {
      return;
    }
    try {
      if (Files.deleteIfExists(snapshot)) {
        LOG.info("removed the decrypted copy {}", snapshot);
      }
    } catch (IOException e) {
      LOG.warn("could not remove the decrypted copy {} ({}): delete it by hand", snapshot,
          e.getMessage());
    }
  }

  /**
   * (HA) Every peer stopped and moved its data aside; when not, decides between undoing the reset
   * (the old cluster can still have quorum on the peers that kept their data) and starting the
   * restored K3s (it cannot), so that two clusters never serve at once.
   */
  private void awaitPeersAside(Plan plan) {
    steps.run(RestoreStep.AWAIT_PEERS, () -> {
      try {
        probe.awaitAll(plan.peers(), RestoreStep.WIPE);
        return "every peer has stopped and moved its data aside";
      } catch (RestoreException waited) {
        // let every peer finish its step (or fail) before deciding
        Map<URI, PeerProbe.AgentState> states = probe.settle(plan.peers(), RestoreStep.WIPE,
            Duration.ofMinutes(2));
        List<URI> keptData = states.entrySet().stream()
            .filter(e -> !e.getValue().done().contains(RestoreStep.WIPE)).map(Map.Entry::getKey)
            .toList();
        int members = plan.peers().size() + 1;
        int quorum = members / 2 + 1;
        if (keptData.size() >= quorum) {
          String undone = undo(steps.pathOf(RestoreStep.RESET).map(Path::of).orElse(null));
          throw new RestoreException(waited.getMessage() + "; the peers " + keptData + " kept "
              + "their data, so the old cluster can still have quorum on them: " + undone + "; "
              + startAgain("the restore changed nothing"));
        }
        startOrRetry();
        throw new RestoreException(waited.getMessage() + "; the old cluster cannot have "
            + "quorum any more (only " + keptData + " kept their data), so K3s was started here "
            + "from the snapshot: move server/db aside on " + keptData + " and start K3s there "
            + "to rejoin, as K3s's restore guide says");
      }
    });
  }

  /** Puts the data a reset moved aside back; says what it did. */
  private String undo(Path movedAside) {
    if (movedAside == null) {
      return "the reset had not moved the node's data";
    }
    host.undoReset(movedAside);
    return "the node's own data was moved back from " + movedAside;
  }

  /** Starts K3s again after a failure; says so, or what is left to do. */
  private String startAgain(String and) {
    try {
      startOrRetry();
      return "K3s was started again on this node's own data (" + and + ")";
    } catch (RuntimeException e) {
      LOG.error("could not start K3s again: {}", e.getMessage());
      return "starting K3s again failed too (" + e.getMessage() + "): start it by hand ("
          + and + ")";
    }
  }

  private void startOrRetry() {
    try {
      host.startK3s();
    } catch (RuntimeException first) {
      LOG.warn("starting K3s failed, trying once more: {}", first.getMessage());
      host.startK3s();
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
