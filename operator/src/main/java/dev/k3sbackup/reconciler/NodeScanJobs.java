package dev.k3sbackup.reconciler;

import dev.k3sbackup.agent.AgentJobs;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A periodic read of every Ready etcd node through one small agent Job per node and pass: each
 * pass collects what the Jobs started by the previous one reported (and deletes them), then
 * starts the next, one per node that has none running. Used for the snapshot dirs (adoption)
 * and the restore journals.
 *
 * @param <C> what a scan remembers from when its Job started
 */
final class NodeScanJobs<C> {

  /**
   * A scan whose Job has ended.
   *
   * @param outcome what the Job reported; empty when its Pod left no outcome
   * @param atStart what was remembered when it started
   */
  record Finished<C>(Optional<AgentJobs.Outcome> outcome, C atStart) {}

  /** A scan under way: its Job, and what was remembered when it started. */
  private record Running<C>(String jobName, C atStart) {}

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final EtcdNodes nodes;
  private final String prefix;
  private final Map<String, Running<C>> running = new HashMap<>();

  /** @param prefix names this scan's Jobs: {@code <prefix>-<node>-<time>} */
  NodeScanJobs(KubernetesClient client, OperatorSettings settings, String prefix) {
    this.client = client;
    this.settings = settings;
    this.nodes = new EtcdNodes(client);
    this.prefix = prefix;
  }

  /**
   * The scans whose Jobs finished since the last pass, by node; those Jobs are deleted. Jobs
   * still running are left for a later pass.
   */
  Map<String, Finished<C>> collect() {
    String ns = settings.home();
    var jobsApi = client.batch().v1().jobs().inNamespace(ns);
    Map<String, Finished<C>> finished = new LinkedHashMap<>();
    for (var it = running.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      String jobName = entry.getValue().jobName();
      Job job = jobsApi.withName(jobName).get();
      if (job != null && !JobState.finished(job)) {
        continue;
      }
      it.remove();
      if (job != null) {
        finished.put(entry.getKey(), new Finished<>(AgentJobs.outcomeOf(client, ns, jobName),
            entry.getValue().atStart()));
        jobsApi.withName(jobName).delete();
      }
    }
    return finished;
  }

  /**
   * Starts the next Job, made by {@code job(node, jobName)}, on each node without one.
   *
   * @param remember what to remember per node from now; asked for only when a Job starts
   */
  void startNext(BiFunction<String, String, Job> job,
      Supplier<Function<String, C>> remember) {
    var jobsApi = client.batch().v1().jobs().inNamespace(settings.home());
    Function<String, C> atStart = null;
    for (String node : nodes.ready()) {
      if (running.containsKey(node)) {
        continue;
      }
      if (atStart == null) {
        atStart = remember.get();
      }
      // a name of its own per pass: a reused name would also find the old Job's Pods
      String name = AgentJobs.jobName(prefix + "-" + node.toLowerCase(Locale.ROOT)
          .replaceAll("[^a-z0-9-]", "-"), "-" + Long.toString(settings.clock().millis(), 36));
      try {
        jobsApi.resource(job.apply(node, name)).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
      running.put(node, new Running<>(name, atStart.apply(node)));
    }
  }
}
