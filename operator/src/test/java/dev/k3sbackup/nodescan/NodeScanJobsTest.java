package dev.k3sbackup.nodescan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.testing.MutableClock;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The pass of a node scan when the API fails on one node's Job: the other nodes' reports are
 * kept, and the Job that could not be deleted is deleted on a later pass.
 */
class NodeScanJobsTest {

  /** Jobs kept in a map, named as such: a fake of the API's Jobs, with faults to inject. */
  private static final class FakeJobs implements NodeJobs {
    final Map<String, Job> jobs = new LinkedHashMap<>();
    final Set<String> refuseDelete = new HashSet<>();
    final Set<String> refuseResult = new HashSet<>();

    @Override
    public Optional<Job> get(String namespace, String name) {
      return Optional.ofNullable(jobs.get(name));
    }

    @Override
    public void create(Job job) {
      jobs.put(job.getMetadata().getName(), job);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type) {
      if (refuseResult.contains(node(job))) {
        throw new KubernetesClientException("pods \"" + job.getMetadata().getName()
            + "-x\" is forbidden (injected)");
      }
      return Optional.of(AgentResult.success((T) ("listing of " + node(job))));
    }

    @Override
    public void delete(Job job) {
      if (refuseDelete.remove(node(job))) {
        throw new KubernetesClientException("the server is currently unable to handle the "
            + "request (injected)");
      }
      jobs.remove(job.getMetadata().getName());
    }

    void finishAll() {
      jobs.replaceAll((name, job) -> new JobBuilder(job).withNewStatus().withSucceeded(1)
          .endStatus().build());
    }

    private static String node(Job job) {
      return job.getMetadata().getLabels().get("node");
    }
  }

  private final FakeJobs jobs = new FakeJobs();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T06:00:00Z"));
  private final NodeScanJobs<String, String> scans = new NodeScanJobs<>(jobs,
      OperatorSettings.defaults("k3s-etcd-backup:test").withClock(clock),
      () -> List.of("server-1", "server-2", "server-3"), "node-scan",
      ResultType.of(String.class));

  private void startPass() {
    clock.advance(Duration.ofMinutes(5));
    scans.startNext((node, name) -> new JobBuilder().withNewMetadata().withName(name)
        .addToLabels("node", node).endMetadata().build(), () -> node -> "known on " + node);
  }

  @Test
  void aJobTheApiWillNotDeleteCostsNoReportAndGoesOnALaterPass() {
    startPass();
    jobs.finishAll();
    jobs.refuseDelete.add("server-1");

    var finished = scans.collect();

    assertThat(finished).containsOnlyKeys("server-1", "server-2", "server-3");
    assertThat(finished.get("server-3").outcome()).map(AgentResult::result)
        .contains("listing of server-3");
    assertThat(finished.get("server-1").atStart()).isEqualTo("known on server-1");
    assertThat(jobs.jobs.values()).extracting(j -> j.getMetadata().getLabels().get("node"))
        .containsExactly("server-1");

    startPass(); // every node starts a new scan, server-1 too
    assertThat(jobs.jobs).hasSize(4);
    scans.collect(); // none finished; the left-over Job goes
    assertThat(jobs.jobs.values()).extracting(j -> j.getMetadata().getLabels().get("node"))
        .containsExactlyInAnyOrder("server-1", "server-2", "server-3")
        .hasSize(3);
    assertThat(jobs.jobs.values()).noneMatch(j -> j.getStatus() != null);
  }

  @Test
  void aReportThatCannotBeReadCostsOnlyItsOwnNode() {
    startPass();
    jobs.finishAll();
    jobs.refuseResult.add("server-2");

    var finished = scans.collect();

    assertThat(finished).containsOnlyKeys("server-1", "server-3");
    assertThat(jobs.jobs).isEmpty(); // server-2's Job is deleted too: its next pass starts anew
    startPass();
    assertThat(jobs.jobs).hasSize(3);
  }
}
