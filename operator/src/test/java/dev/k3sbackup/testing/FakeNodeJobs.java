package dev.k3sbackup.testing;

import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.jobs.NodeJobs;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The node agent Jobs kept in a map, named as such: a fake of the API's Jobs for unit tests,
 * with what each finished Job reported and API failures to inject by Job name.
 */
public final class FakeNodeJobs implements NodeJobs {

  /** The Jobs created and not deleted, by name, in the order made. */
  public final Map<String, Job> jobs = new LinkedHashMap<>();
  /** What each finished Job's agent reported, by Job name. */
  public final Map<String, AgentResult<?>> results = new LinkedHashMap<>();
  /** Jobs whose next delete the API refuses (once). */
  public final Set<String> refuseDelete = new HashSet<>();
  /** Jobs whose report the API will not give (their Pod's logs forbidden). */
  public final Set<String> refuseResult = new HashSet<>();

  @Override
  public Optional<Job> get(String namespace, String name) {
    return Optional.ofNullable(jobs.get(name));
  }

  @Override
  public void create(Job job) {
    jobs.putIfAbsent(job.getMetadata().getName(), job);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type) {
    String name = job.getMetadata().getName();
    if (refuseResult.contains(name)) {
      throw new KubernetesClientException("pods \"" + name + "-x\" is forbidden (injected)");
    }
    return Optional.ofNullable((AgentResult<T>) results.get(name));
  }

  @Override
  public void delete(Job job) {
    String name = job.getMetadata().getName();
    if (refuseDelete.remove(name)) {
      throw new KubernetesClientException("the server is currently unable to handle the "
          + "request (injected)");
    }
    jobs.remove(name);
  }

  /** The Job ended, its agent having reported {@code result}. */
  public void finish(String name, AgentResult<?> result) {
    JobStatus status = new JobStatus();
    status.setSucceeded(result.ok() ? 1 : 0);
    status.setFailed(result.ok() ? 0 : 1);
    jobs.get(name).setStatus(status);
    results.put(name, result);
  }

  /** The arguments of {@code name}'s agent container. */
  public List<String> args(String name) {
    return jobs.get(name).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
  }
}
