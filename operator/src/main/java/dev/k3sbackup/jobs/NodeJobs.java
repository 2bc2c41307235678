package dev.k3sbackup.jobs;

import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;

/** The node agent Jobs as a reconciler sees and makes them; handed in, so tests can fake it. */
public interface NodeJobs {

  /** The Job, as last observed; empty when there is none. */
  Optional<Job> get(String namespace, String name);

  /** Creates {@code job}; one of that name that exists already (made before a restart) is kept. */
  void create(Job job);

  /** What the agent of finished {@code job} reported; empty when its Pod left nothing. */
  <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type);

  /** The Jobs through the API: {@code get} asks the API server. */
  static NodeJobs of(KubernetesClient client) {
    return observing(client, (ns, name) -> Optional.ofNullable(
        client.batch().v1().jobs().inNamespace(ns).withName(name).get()));
  }

  /** The Jobs through the API, as {@code observed} (an informer's cache) sees them. */
  static NodeJobs observing(KubernetesClient client,
      java.util.function.BiFunction<String, String, Optional<Job>> observed) {
    return new NodeJobs() {
      @Override
      public Optional<Job> get(String namespace, String name) {
        return observed.apply(namespace, name);
      }

      @Override
      public void create(Job job) {
        try {
          client.resource(job).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
        }
      }

      @Override
      public <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type) {
        return JobResults.latest(client, job.getMetadata().getNamespace(),
            job.getMetadata().getName(), type);
      }
    };
  }
}
