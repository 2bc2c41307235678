package dev.k3sbackup.jobs;

import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/** Reads a node agent Job's {@link AgentResult} back from its Pod's termination message. */
public final class JobResults {

  private JobResults() {}

  /** What the agent in {@code pod} reported; empty while it has not terminated. */
  public static <T> Optional<AgentResult<T>> of(Pod pod, ResultType<T> type) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    for (var cs : pod.getStatus().getContainerStatuses()) {
      ContainerStateTerminated t = cs.getState() == null ? null : cs.getState().getTerminated();
      if (t != null) {
        return Optional.of(AgentResult.fromTermination(t.getExitCode() == null ? -1
            : t.getExitCode(), t.getMessage(), t.getReason(), type));
      }
    }
    return Optional.empty();
  }

  /** What the newest finished Pod of Job {@code jobName} reported; empty while none has. */
  public static <T> Optional<AgentResult<T>> latest(KubernetesClient client, String namespace,
      String jobName, ResultType<T> type) {
    return client.pods().inNamespace(namespace).withLabels(Map.of("job-name", jobName)).list()
        .getItems().stream()
        .sorted(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp(),
            Comparator.nullsFirst(Comparator.naturalOrder())).reversed())
        .map(p -> of(p, type)).flatMap(Optional::stream).findFirst();
  }
}
