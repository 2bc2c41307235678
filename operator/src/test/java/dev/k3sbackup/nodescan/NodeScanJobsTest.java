package dev.k3sbackup.nodescan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.testing.FakeNodeJobs;
import dev.k3sbackup.testing.MutableClock;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pass of a node scan when the API fails on one node's Job: the other nodes' reports are
 * kept, and the Job that could not be deleted is deleted on a later pass.
 */
class NodeScanJobsTest {

  private final FakeNodeJobs jobs = new FakeNodeJobs();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T06:00:00Z"));
  private final NodeScanJobs<String, String> scans = new NodeScanJobs<>(jobs,
      OperatorSettings.defaults("k3s-etcd-backup:test").withClock(clock),
      () -> List.of("server-1", "server-2", "server-3"), "node-scan",
      ResultType.of(String.class));

  /** Every Job ends, its agent reporting the listing of its node. */
  private void finishAll() {
    List.copyOf(jobs.jobs.keySet()).forEach(name -> jobs.finish(name,
        AgentResult.success("listing of " + node(name))));
  }

  /** The node {@code job} runs on. */
  private String node(String job) {
    return jobs.jobs.get(job).getMetadata().getLabels().get("node");
  }

  /** The name of the Job on {@code node}. */
  private String jobOn(String node) {
    return jobs.jobs.keySet().stream().filter(name -> node(name).equals(node)).findFirst()
        .orElseThrow();
  }

  private void startPass() {
    clock.advance(Duration.ofMinutes(5));
    scans.startNext((node, name) -> new JobBuilder().withNewMetadata().withName(name)
        .addToLabels("node", node).endMetadata().build(), () -> node -> "known on " + node);
  }

  @Test
  void aJobTheApiWillNotDeleteCostsNoReportAndGoesOnALaterPass() {
    startPass();
    finishAll();
    jobs.refuseDelete.add(jobOn("server-1"));

    var finished = scans.collect();

    assertThat(finished).containsOnlyKeys("server-1", "server-2", "server-3");
    assertThat(finished.get("server-3").outcome()).map(AgentResult::result)
        .contains("listing of server-3");
    assertThat(finished.get("server-1").atStart()).isEqualTo("known on server-1");
    assertThat(jobs.jobs.keySet()).extracting(this::node).containsExactly("server-1");

    startPass(); // every node starts a new scan, server-1 too
    assertThat(jobs.jobs).hasSize(4);
    scans.collect(); // none finished; the left-over Job goes
    assertThat(jobs.jobs.keySet()).extracting(this::node)
        .containsExactlyInAnyOrder("server-1", "server-2", "server-3")
        .hasSize(3);
    assertThat(jobs.jobs.values()).noneMatch(j -> j.getStatus() != null);
  }

  @Test
  void aReportThatCannotBeReadCostsOnlyItsOwnNode() {
    startPass();
    finishAll();
    jobs.refuseResult.add(jobOn("server-2"));

    var finished = scans.collect();

    assertThat(finished).containsOnlyKeys("server-1", "server-3");
    assertThat(jobs.jobs).isEmpty(); // server-2's Job is deleted too: its next pass starts anew
    startPass();
    assertThat(jobs.jobs).hasSize(3);
  }
}
