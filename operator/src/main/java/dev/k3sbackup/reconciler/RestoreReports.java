package dev.k3sbackup.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestoreStepStatus;
import dev.k3sbackup.restore.ServerRestore;
import java.util.List;
import java.util.Optional;

/**
 * Reads what node agents journaled (from a Job's result or read back from the nodes after the
 * etcd rollback) into per-node status, and judges the restore from it.
 */
final class RestoreReports {

  private RestoreReports() {}

  /** Where a restore stands according to its nodes' journals. */
  enum Verdict { RUNNING, SUCCEEDED, FAILED }

  /** A journal report ({@code {restore: {...}, steps: [...]}}) as one node's status. */
  static NodeRestoreStatus toStatus(JsonNode report, String jobName) {
    NodeRestoreStatus n = new NodeRestoreStatus();
    n.node = report.path("restore").path("node").asText(null);
    n.role = report.path("restore").path("role").asText(null);
    n.jobName = jobName;
    for (JsonNode s : report.path("steps")) {
      RestoreStepStatus step = new RestoreStepStatus();
      step.step = s.path("step").asText(null);
      step.state = s.path("state").asText(null);
      step.started = s.path("started").asText(null);
      step.finished = s.path("finished").asText(null);
      step.message = s.path("message").asText(null);
      n.steps.add(step);
    }
    return n;
  }

  /**
   * Succeeded once the server and every peer have started K3s again from the restored data;
   * Failed when a node's journal ends in a failed step; otherwise still running.
   */
  static Verdict judge(List<NodeRestoreStatus> nodes, String server, List<String> peers) {
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
  static Optional<String> failure(List<NodeRestoreStatus> nodes) {
    String secondary = null;
    for (NodeRestoreStatus n : nodes) {
      for (RestoreStepStatus s : n.steps) {
        if ("Failed".equals(s.state)) {
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
  static void startedSinceTheJournalWasReadThere(NodeRestoreStatus node, String readAt) {
    for (RestoreStepStatus s : node.steps) {
      if (ServerRestore.START.equals(s.step) && "Running".equals(s.state)) {
        s.state = "Done";
        s.finished = readAt;
        s.message = "K3s runs on this node again (a Job read this journal there); the agent was "
            + "stopped before it could journal the end of this step";
      }
    }
  }

  private static boolean started(List<NodeRestoreStatus> nodes, String node) {
    return nodes.stream().filter(n -> node.equals(n.node)).flatMap(n -> n.steps.stream())
        .anyMatch(s -> ServerRestore.START.equals(s.step) && "Done".equals(s.state));
  }
}
