package dev.k3sbackup.cluster;

import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.status.EventRecorder;
import dev.k3sbackup.status.Events;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;

/**
 * What the reconcilers and the node scans work through, made once by the operator's wiring and
 * handed in: the API client (for their own resources), the settings (with the clock), the node
 * agent Jobs, the etcd nodes, S3 behind its Secrets, and the Events. Tests hand in their own.
 *
 * @param client the API, for the operator's own resources and status writes
 * @param settings how the reconcilers behave, and the clock
 * @param jobs the node agent Jobs as they are made and read
 * @param agentJobs how node agent Jobs look
 * @param nodes K3s's etcd server nodes
 * @param s3 S3 folders named by specs, with keys from their Secrets
 * @param events Kubernetes Events on our resources
 * @param k3s K3s's own snapshot schedule on each etcd node, as the nodes and node scans tell
 */
public record Collaborators(KubernetesClient client, OperatorSettings settings, NodeJobs jobs,
    AgentJobs agentJobs, EtcdNodes nodes, S3Access s3, Events events, K3sSchedules k3s) {

  /** The real ones, through {@code client}. */
  public static Collaborators of(KubernetesClient client, OperatorSettings settings) {
    return new Collaborators(client, settings, NodeJobs.of(client),
        new AgentJobs(settings.agentImage(), settings.home()), new EtcdNodes(client), new S3Access(client),
        new EventRecorder(client, settings.clock()), new K3sSchedules());
  }

  /** Our resources where the operator acts. */
  public WatchedResources watched() {
    return new WatchedResources(client, settings);
  }

  /** The time, injected so that tests control schedules, backoff and retention. */
  public Clock clock() {
    return settings.clock();
  }
}
