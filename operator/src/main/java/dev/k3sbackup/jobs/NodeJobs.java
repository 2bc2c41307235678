package dev.k3sbackup.jobs;

import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;
import java.util.function.BiFunction;

/** The node agent Jobs as a reconciler sees and makes them; handed in, so tests can fake it. */
public interface NodeJobs {

  /** The Job, as last observed; empty when there is none. */
  Optional<Job> get(String namespace, String name);

  /** Creates {@code job}; one of that name that exists already (made before a restart) is kept. */
  void create(Job job);

  /** What the agent of finished {@code job} reported; empty when its Pod left nothing. */
  <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type);

  /** Deletes {@code job} (its Pods go with it). */
  void delete(Job job);

  /** These Jobs, as {@code observed} (an informer's cache) sees them. */
  default NodeJobs seenIn(BiFunction<String, String, Optional<Job>> observed) {
    NodeJobs made = this;
    return new NodeJobs() {
      @Override
      public Optional<Job> get(String namespace, String name) {
        return observed.apply(namespace, name);
      }

      @Override
      public void create(Job job) {
        made.create(job);
      }

      @Override
      public <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type) {
        return made.result(job, type);
      }

      @Override
      public void delete(Job job) {
        made.delete(job);
      }
    };
  }

  private static boolean sameOwners(Job a, Job b) {
    return java.util.Objects.equals(owner(a), owner(b));
  }

  private static String owner(Job job) {
    return job.getMetadata().getLabels() == null ? null
        : job.getMetadata().getLabels().get(dev.k3sbackup.api.Labels.OWNER_UID);
  }

  /** The Jobs through the API: {@code get} asks the API server. */
  static NodeJobs of(KubernetesClient client) {
    return new NodeJobs() {
      @Override
      public Optional<Job> get(String namespace, String name) {
        return Optional.ofNullable(client.batch().v1().jobs().inNamespace(namespace)
            .withName(name).get());
      }

      @Override
      public void create(Job job) {
        try {
          client.resource(job).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
          // made before: by us (nothing to do), or left by a resource of the same name that is
          // gone (deleted, or removed by a rollback): that one goes, ours is made next time
          Job existing = get(job.getMetadata().getNamespace(), job.getMetadata().getName())
              .orElse(null);
          if (existing != null && !sameOwners(existing, job)) {
            client.resource(existing).withPropagationPolicy(
                io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
          }
        }
      }

      @Override
      public <T> Optional<AgentResult<T>> result(Job job, ResultType<T> type) {
        return JobResults.latest(client, job.getMetadata().getNamespace(),
            job.getMetadata().getName(), type);
      }

      @Override
      public void delete(Job job) {
        client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
            .withName(job.getMetadata().getName()).delete();
      }
    };
  }
}
