package dev.k3sbackup.status;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.RestoreStepStatus;
import dev.k3sbackup.api.v1alpha1.StepState;
import dev.k3sbackup.contract.RestoreReport;
import dev.k3sbackup.contract.RestoreStep;
import java.util.List;
import java.util.Optional;

/**
 * Reads what node agents journaled (from a Job's result or read back from the nodes after the
 * etcd rollback) into per-node status, and judges the restore from it.
 */
public final class RestoreOutcome {

  private RestoreOutcome() {}

  /** Where a restore stands according to its nodes' journals. */
  public enum Verdict {
    RUNNING(RestorePhase.Restoring),
    SUCCEEDED(RestorePhase.Succeeded),
    FAILED(RestorePhase.Failed);

    private final RestorePhase phase;

    Verdict(RestorePhase phase) {
      this.phase = phase;
    }

    /** The restore's phase for this verdict. */
    public RestorePhase phase() {
      return phase;
    }
  }

  /** Whether {@code restore} was recreated from journals (it only shows, it never acts). */
  public static boolean recoveredFromJournal(EtcdRestore restore) {
    var a = restore.getMetadata().getAnnotations();
    return a != null && a.containsKey(Annotations.RECOVERED_FROM_JOURNAL);
  }

  /** A node agent's report as that node's status. */
  public static NodeRestoreStatus toStatus(RestoreReport report, String jobName) {
    NodeRestoreStatus n = new NodeRestoreStatus();
    n.node = report.restore().node();
    n.role = report.restore().role() == null ? null : report.restore().role().id();
    n.jobName = jobName;
    for (RestoreReport.StepReport s : report.steps()) {
      RestoreStepStatus step = new RestoreStepStatus();
      step.step = s.step().id();
      step.state = s.state();
      step.started = s.started();
      step.finished = s.finished();
      step.message = s.message();
      n.steps.add(step);
    }
    return n;
  }

  /**
   * Succeeded once the server and every peer have started K3s again from the restored data;
   * Failed when a node's journal ends in a failed step; otherwise still running.
   */
  public static Verdict judge(List<NodeRestoreStatus> nodes, String server, List<String> peers) {
    if (failure(nodes).isPresent()) {
      return Verdict.FAILED;
    }
    boolean serverUp = started(nodes, server);
    boolean peersUp = peers.stream().allMatch(p -> started(nodes, p));
    return serverUp && peersUp ? Verdict.SUCCEEDED : Verdict.RUNNING;
  }

  /**
   * The failure to report: a node's own failed step, before one that only says it gave up
   * because another agent failed.
   */
  public static Optional<String> failure(List<NodeRestoreStatus> nodes) {
    String secondary = null;
    for (NodeRestoreStatus n : nodes) {
      for (RestoreStepStatus s : n.steps) {
        if (s.state == StepState.Failed) {
          String text = "step " + s.step + " on " + n.node + " (" + n.role + ") failed: "
              + s.message;
          if (s.message != null && s.message.startsWith("the agent at ")) {
            secondary = secondary == null ? text : secondary;
          } else {
            return Optional.of(text);
          }
        }
      }
    }
    return Optional.ofNullable(secondary);
  }

  /**
   * A journal read back by a Job on its node proves that K3s runs there again: the kubelet that
   * ran the Job is part of it. So a {@code start} step that began and never journaled its end
   * (the kubelet may stop the agent's Pod, which the rolled-back API does not know, the moment
   * K3s is back) did its work; it is shown Done by {@code readAt}, saying how this is known.
   */
  public static void startedSinceTheJournalWasReadThere(NodeRestoreStatus node, String readAt) {
    for (RestoreStepStatus s : node.steps) {
      if (RestoreStep.START.id().equals(s.step) && s.state == StepState.Running) {
        s.state = StepState.Done;
        s.finished = readAt;
        s.message = "K3s runs on this node again (a Job read this journal there); the agent was "
            + "stopped before it could journal the end of this step";
      }
    }
  }

  private static boolean started(List<NodeRestoreStatus> nodes, String node) {
    return nodes.stream().filter(n -> node.equals(n.node)).flatMap(n -> n.steps.stream())
        .anyMatch(s -> RestoreStep.START.id().equals(s.step) && s.state == StepState.Done);
  }
}
