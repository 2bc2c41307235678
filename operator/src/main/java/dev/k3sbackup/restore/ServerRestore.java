package dev.k3sbackup.restore;

import dev.k3sbackup.snapshot.SnapshotVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restoring server's own steps (K3s's single-server restore, and S1's part of the HA one):
 * verify the snapshot, stop K3s, reset the cluster from the snapshot, start K3s. Every step is
 * journaled on the node before and after it runs, so an agent that is killed and rerun resumes
 * where it stopped; nothing is stopped before the snapshot has verified.
 */
public final class ServerRestore {

  /** The steps, in order. */
  public static final List<String> STEPS = List.of("verify", "stop", "reset", "start");
  private static final Logger LOG = LoggerFactory.getLogger(ServerRestore.class);

  /**
   * @param snapshot the snapshot file on this node
   * @param expectedSha256 the sha256 recorded when it was taken, or null when unknown
   */
  public record Plan(Path snapshot, String expectedSha256) {}

  private final NodeHost host;
  private final RestoreJournal journal;

  public ServerRestore(NodeHost host, RestoreJournal journal) {
    this.host = host;
    this.journal = journal;
  }

  /** Runs (or resumes) the steps; throws at the first that fails, after journaling it. */
  public void run(Plan plan) {
    step("verify", () -> verify(plan));
    step("stop", () -> {
      host.stopK3s();
      return "k3s stopped";
    });
    step("reset", () -> "cluster reset from " + plan.snapshot() + "; the old data is in "
        + host.clusterReset(plan.snapshot()));
    step("start", () -> {
      host.startK3s();
      return "k3s started";
    });
  }

  private void step(String name, Supplier<String> action) {
    if (journal.done(name)) {
      LOG.info("restore step {} was done before, skipping it", name);
      return;
    }
    journal.began(name, "");
    try {
      String message = action.get();
      journal.finished(name, message);
      LOG.info("restore step {}: {}", name, message);
    } catch (RuntimeException e) {
      journal.failed(name, e.getMessage());
      throw e;
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
          dev.k3sbackup.snapshot.ProgressListener.NONE);
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
