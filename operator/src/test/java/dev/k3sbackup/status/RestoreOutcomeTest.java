package dev.k3sbackup.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestoreStepStatus;
import dev.k3sbackup.api.v1alpha1.StepState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a restore is judged from its nodes' journals. */
class RestoreOutcomeTest {

  private static NodeRestoreStatus node(String name, String role, String... steps) {
    NodeRestoreStatus n = new NodeRestoreStatus();
    n.node = name;
    n.role = role;
    for (String s : steps) {
      String[] parts = s.split(" ", 3);
      RestoreStepStatus step = new RestoreStepStatus();
      step.step = parts[0];
      step.state = StepState.valueOf(parts[1]);
      step.message = parts.length > 2 ? parts[2] : null;
      n.steps.add(step);
    }
    return n;
  }

  @Test
  void succeedsOnceTheServerAndEveryPeerHaveStarted() {
    var server = node("s1", "server", "verify Done", "reset Done", "start Done",
        "await-rejoin Running");
    var peer2 = node("s2", "peer", "wipe Done", "start Done");
    var peer3 = node("s3", "peer", "wipe Done", "start Running");

    assertThat(RestoreOutcome.judge(List.of(server, peer2, peer3), "s1", List.of("s2", "s3")))
        .isEqualTo(RestoreOutcome.Verdict.RUNNING);
    assertThat(RestoreOutcome.judge(List.of(server, peer2), "s1", List.of("s2", "s3")))
        .as("a peer whose journal was not read yet").isEqualTo(RestoreOutcome.Verdict.RUNNING);

    RestoreOutcome.startedSinceTheJournalWasReadThere(peer3, "2026-11-21T12:00:00Z");

    assertThat(peer3.steps.get(1).state).isEqualTo(StepState.Done);
    assertThat(peer3.steps.get(1).message).contains("K3s runs on this node again");
    assertThat(peer3.steps.get(1).finished).isEqualTo("2026-11-21T12:00:00Z");
    assertThat(RestoreOutcome.judge(List.of(server, peer2, peer3), "s1", List.of("s2", "s3")))
        .isEqualTo(RestoreOutcome.Verdict.SUCCEEDED);
  }

  @Test
  void aNodesOwnFailureIsReportedBeforeAnotherGivingUpBecauseOfIt() {
    var server = node("s1", "server", "verify Done",
        "await-peers-ready Failed the agent at http://10.0.0.2:9791/ failed (stop: boom)");
    var peer = node("s2", "peer", "await-verify Done", "stop Failed systemctl stop k3s exited 1");

    assertThat(RestoreOutcome.judge(List.of(server, peer), "s1", List.of("s2")))
        .isEqualTo(RestoreOutcome.Verdict.FAILED);
    assertThat(RestoreOutcome.failure(List.of(server, peer))).hasValueSatisfying(f ->
        assertThat(f).startsWith("step stop on s2 (peer) failed: systemctl stop k3s exited 1"));
  }
}
