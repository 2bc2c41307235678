package dev.k3sbackup.nodescan;

import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.jobs.JobState;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.cluster.Collaborators;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A periodic read of every Ready etcd node through one small agent Job per node and pass: each
 * pass collects what the Jobs started by the previous one reported (and deletes them), then
 * starts the next, one per node that has none running. Used for the snapshot dirs (adoption)
 * and the restore journals.
 *
 * @param <C> what a scan remembers from when its Job started
 * @param <R> what a scan's Job reports
 */
final class NodeScanJobs<C, R> {

  /**
   * A scan whose Job has ended.
   *
   * @param outcome what the Job reported; empty when its Pod left no outcome
   * @param atStart what was remembered when it started
   */
  record Finished<C, R>(Optional<AgentResult<R>> outcome, C atStart) {}

  /** A scan under way: its Job, and what was remembered when it started. */
  private record Running<C>(String jobName, C atStart) {}

  private static final Logger LOG = LoggerFactory.getLogger(NodeScanJobs.class);

  private final NodeJobs jobs;
  private final OperatorSettings settings;
  private final Supplier<List<String>> readyNodes;
  private final String prefix;
  private final ResultType<R> resultType;
  private final Map<String, Running<C>> running = new HashMap<>();
  /** Finished Jobs whose delete failed: tried again each pass (their TTL removes them at last). */
  private final Map<String, Job> undeleted = new LinkedHashMap<>();

  /**
   * @param prefix names this scan's Jobs: {@code <prefix>-<node>-<time>}
   * @param resultType what the Jobs report
   */
  NodeScanJobs(Collaborators with, String prefix, ResultType<R> resultType) {
    this(with.jobs(), with.settings(), with.nodes()::ready, prefix, resultType);
  }

  NodeScanJobs(NodeJobs jobs, OperatorSettings settings, Supplier<List<String>> readyNodes,
      String prefix, ResultType<R> resultType) {
    this.jobs = jobs;
    this.settings = settings;
    this.readyNodes = readyNodes;
    this.prefix = prefix;
    this.resultType = resultType;
  }

  /**
   * The scans whose Jobs finished since the last pass, by node; those Jobs are deleted. Jobs
   * still running are left for a later pass. One Job the API will not read or delete costs only
   * its own node's report (the next pass starts a new Job there), never the others'.
   */
  Map<String, Finished<C, R>> collect() {
    deleteLeftOvers();
    Map<String, Finished<C, R>> finished = new LinkedHashMap<>();
    for (var it = running.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Job job;
      try {
        job = jobs.get(settings.home(), entry.getValue().jobName()).orElse(null);
      } catch (RuntimeException e) {
        LOG.warn("cannot read the scan Job {} ({}); the next pass looks again",
            entry.getValue().jobName(), e.getMessage());
        continue;
      }
      if (job != null && !JobState.finished(job)) {
        continue;
      }
      it.remove();
      if (job != null) {
        try {
          finished.put(entry.getKey(), new Finished<>(outcome(job), entry.getValue().atStart()));
        } catch (RuntimeException e) {
          LOG.warn("cannot read what the scan Job {} on {} reported ({}); the next pass scans "
              + "that node again", job.getMetadata().getName(), entry.getKey(), e.getMessage());
        }
        delete(job);
      }
    }
    return finished;
  }

  private void deleteLeftOvers() {
    List<Job> again = List.copyOf(undeleted.values());
    undeleted.clear();
    again.forEach(this::delete); // those refused again go back in
  }

  private void delete(Job job) {
    try {
      jobs.delete(job);
    } catch (RuntimeException e) {
      LOG.warn("cannot delete the finished scan Job {} ({}); tried again next pass",
          job.getMetadata().getName(), e.getMessage());
      undeleted.put(job.getMetadata().getName(), job);
    }
  }

  /** What {@code job}, which ended, reported; a failure naming the deadline when it ran past it. */
  private Optional<AgentResult<R>> outcome(Job job) {
    if (JobState.deadlineExceeded(job)) {
      return Optional.of(AgentResult.failure(FailureKind.FAILED, "its Job "
          + job.getMetadata().getName() + " did not end within "
          + job.getSpec().getActiveDeadlineSeconds() / 60 + " minutes (a Pod that could not "
          + "start on the node?) and Kubernetes ended it; the next pass starts a new one", null));
    }
    return jobs.result(job, resultType);
  }

  /**
   * Starts the next Job, made by {@code job(node, jobName)}, on each node without one.
   *
   * @param remember what to remember per node from now; asked for only when a Job starts
   */
  void startNext(BiFunction<String, String, Job> job,
      Supplier<Function<String, C>> remember) {
    Function<String, C> atStart = null;
    for (String node : readyNodes.get()) {
      if (running.containsKey(node)) {
        continue;
      }
      if (atStart == null) {
        atStart = remember.get();
      }
      // a name of its own per pass: a reused name would also find the old Job's Pods
      String name = dev.k3sbackup.base.KubeNames.of(prefix + "-" + node,
          "-" + Long.toString(settings.clock().millis(), 36));
      jobs.create(job.apply(node, name));
      running.put(node, new Running<>(name, atStart.apply(node)));
    }
  }
}
