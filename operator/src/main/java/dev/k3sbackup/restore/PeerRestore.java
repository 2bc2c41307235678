package dev.k3sbackup.restore;

import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A peer's steps in an HA restore (S2, S3 in K3s's guide), coordinated through the restoring
 * server's agent and K3s, not through the API (which is down meanwhile):
 *
 * <ol>
 *   <li>wait until the server's reset has succeeded; meanwhile this node keeps serving, and when
 *       the reset fails it is never touched;
 *   <li>stop K3s (verified) and move {@code server/db} aside; when the move fails, K3s is started
 *       again on the data it still has;
 *   <li>wait until the restored server's K3s answers (its supervisor's {@code /ping}) or its agent
 *       has started it; when the server failed or does not come, start anyway: a wiped peer only
 *       keeps asking to join, and every node ends started;
 *   <li>start K3s, which rejoins the restored cluster.
 * </ol>
 */
public final class PeerRestore {

  private static final Logger LOG = LoggerFactory.getLogger(PeerRestore.class);

  private final NodeHost host;
  private final JournaledSteps steps;
  private final PeerProbe probe;
  private final K3sPing ping;

  public PeerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe) {
    this(host, journal, probe, new K3sPing());
  }

  public PeerRestore(NodeHost host, RestoreJournal journal, PeerProbe probe, K3sPing ping) {
    this.host = host;
    this.steps = new JournaledSteps(journal);
    this.probe = probe;
    this.ping = ping;
  }

  public AgentStatus status(String node) {
    return steps.status(node, RestoreRole.PEER);
  }

  /**
   * @param server the restoring server agent's status URL
   * @param serverK3s the server's K3s ({@code /ping} on its supervisor port)
   */
  public void run(URI server, URI serverK3s) {
    steps.run(RestoreStep.AWAIT_RESET, () -> {
      try {
        probe.awaitAll(List.of(server), RestoreStep.RESET);
      } catch (RestoreException e) {
        throw new RestoreException(e.getMessage() + "; nothing was touched here: K3s keeps "
            + "running on its own data");
      }
      return "the restoring server's reset succeeded";
    });
    steps.run(RestoreStep.STOP, () -> {
      try {
        host.stopK3s();
      } catch (RuntimeException e) {
        throw new RestoreException(e.getMessage() + "; " + startAgain());
      }
      return "k3s stopped (no k3s server process left)";
    });
    steps.runLeaving(RestoreStep.WIPE, () -> {
      try {
        java.nio.file.Path aside = host.moveDbAside();
        return new JournaledSteps.Outcome("server/db moved aside to " + aside, aside.toString());
      } catch (RuntimeException e) {
        throw new RestoreException(e.getMessage() + "; " + startAgain());
      }
    });
    steps.run(RestoreStep.AWAIT_SERVER, () -> awaitServer(server, serverK3s));
    steps.run(RestoreStep.START, () -> {
      host.startK3s();
      return "k3s started: it rejoins the restored cluster";
    });
  }

  /** Until the server's K3s answers; ends (without failing) when it will not, to start anyway. */
  private String awaitServer(URI server, URI serverK3s) {
    Instant deadline = Instant.now().plus(probe.timeout());
    while (true) {
      if (ping.answers(serverK3s)) {
        return "the restored server's K3s answers at " + serverK3s;
      }
      PeerProbe.AgentState agent = probe.state(server);
      if (agent.done().contains(RestoreStep.START)) {
        return "the restoring server's agent has started K3s";
      }
      if (agent.failed() != null) {
        LOG.warn("the restoring server failed ({}); starting K3s here anyway", agent.failed());
        return "the restoring server failed (" + agent.failed() + "); starting K3s here anyway: "
            + "it joins once the server serves";
      }
      if (Instant.now().isAfter(deadline)) {
        return "the restored server did not answer within " + probe.timeout().toMinutes()
            + " min; starting K3s here anyway: it joins once the server serves";
      }
      try {
        Thread.sleep(probe.every().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RestoreException("interrupted while waiting for the restored server");
      }
    }
  }

  private String startAgain() {
    try {
      host.startK3s();
      return "K3s was started again on this node's own data";
    } catch (RuntimeException e) {
      return "starting K3s again failed too (" + e.getMessage() + "): start it by hand";
    }
  }
}
