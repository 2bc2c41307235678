package dev.k3sbackup.reconciler;

import dev.k3sbackup.status.StatusWriter;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.status.RestoreOutcome;
import dev.k3sbackup.status.RestorePhases;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.MDC;

/**
 * Restores the cluster from an EtcdSnapshot; the phase ({@link RestorePhase}, where the
 * transitions are documented) picks the step ({@link RestoreSteps}): preflight (the API checks
 * plan the restore, {@link RestorePlanner}; then a Job on the server node checks, or fetches
 * from S3, the file and the server token; nothing is stopped), dry-run plan, safety snapshot,
 * then one {@code restore-agent} Job per node (the server and its peers) which carry the plan
 * through without the API and coordinate through each other's status servers. Its Jobs and its
 * safety snapshot are watched (informers): a change to them brings the restore back, no polling.
 * The nodes' journals give each node's steps; when the etcd rollback removes this resource,
 * the journal collector ({@code nodescan}) shows the outcome on a recreated one.
 */
@ControllerConfiguration(name = "etcdrestore")
public class EtcdRestoreReconciler implements Reconciler<EtcdRestore> {

  /** After entering the next phase, its step runs this soon. */
  private static final Duration NEXT_STEP = Duration.ofMillis(200);

  private final KubernetesClient client;
  private final NodeJobs jobs;
  private final RestorePhases phases;
  private final RestoreSteps steps;
  private final String home;

  public EtcdRestoreReconciler(KubernetesClient client, OperatorSettings settings) {
    this(Collaborators.of(client, settings));
  }

  public EtcdRestoreReconciler(Collaborators with) {
    this.client = with.client();
    this.jobs = with.jobs();
    this.phases = new RestorePhases(with.events(), with.clock());
    this.steps = new RestoreSteps(RestoreCluster.of(client, with.nodes(), with.watched(),
        with.settings().home(), with.clock()), with.agentJobs(), with.events(), phases,
        with.settings().restoreAgentPort(), with.settings().safetySnapshotsKept(),
        with.settings().oldDataKept());
    this.home = with.settings().home();
  }

  /** Its Jobs (by owner) and its safety snapshot (by label) bring a restore back on change. */
  @Override
  public List<EventSource<?, EtcdRestore>> prepareEventSources(
      EventSourceContext<EtcdRestore> context) {
    var jobs = InformerEventSourceConfiguration.from(Job.class, EtcdRestore.class)
        .withName("restore-jobs")
        .withNamespaces(java.util.Set.of(home))
        .withFollowControllerNamespacesChanges(false)
        .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGED_BY_US + ","
            + Labels.OWNER_KIND + "=" + io.fabric8.kubernetes.api.model.HasMetadata.getKind(
                EtcdRestore.class))
        .withSecondaryToPrimaryMapper(EtcdSnapshotReconciler::ownerOf)
        .build();
    var safety = InformerEventSourceConfiguration.from(EtcdSnapshot.class, EtcdRestore.class)
        .withName("safety-snapshots")
        .withLabelSelector(Labels.RESTORE)
        .withSecondaryToPrimaryMapper(Mappers.fromLabel(Labels.RESTORE, "k3sbackup.dev/none",
            EtcdRestore.class))
        .build();
    return List.of(new InformerEventSource<>(jobs, context),
        new InformerEventSource<>(safety, context));
  }

  @Override
  public UpdateControl<EtcdRestore> reconcile(EtcdRestore cached, Context<EtcdRestore> ctx) {
    // After an etcd rollback the cache can hold a restore that no longer exists, and an event of
    // one of its Jobs can arrive before the cache has its last status: ask the API, act on that.
    EtcdRestore restore = client.resource(cached).get();
    if (restore == null || !restore.getMetadata().getUid().equals(
        cached.getMetadata().getUid())) {
      return UpdateControl.noUpdate();
    }
    String before = Serialization.asJson(restore.getStatus());
    if (restore.getStatus() == null) {
      restore.setStatus(new EtcdRestoreStatus());
    }
    EtcdRestoreStatus status = restore.getStatus();
    if (status.phaseOrPending().terminal() || RestoreOutcome.recoveredFromJournal(restore)) {
      return UpdateControl.noUpdate(); // a recovered resource only shows the journals' outcome
    }
    MDC.put("resource", restore.getMetadata().getNamespace() + "/"
        + restore.getMetadata().getName());
    try {
      if (status.phase == null) {
        phases.enter(restore, RestorePhase.Pending, "accepted");
      }
      RestoreSteps.Progress progress = steps.run(restore, observedJobs(restore, ctx));
      if (status.phaseOrPending().terminal()) {
        steps.end(restore); // the next restore may go
      }
      UpdateControl<EtcdRestore> control = Objects.equals(before, Serialization.asJson(status))
          ? UpdateControl.noUpdate() : StatusWriter.written(ctx, restore);
      return progress == RestoreSteps.Progress.NEXT ? control.rescheduleAfter(NEXT_STEP)
          : control;
    } finally {
      MDC.remove("resource");
    }
  }

  /**
   * The restore's Jobs as its informer sees them: only those it owns (an EtcdRestore made again
   * under the same name, as GitOps does after a rollback, must not read the Jobs of the one
   * before it, whose names are the same).
   */
  private NodeJobs observedJobs(EtcdRestore restore, Context<EtcdRestore> ctx) {
    String uid = restore.getMetadata().getUid();
    return jobs.seenIn((ns, name) -> ctx.getSecondaryResources(Job.class)
        .stream().filter(j -> name.equals(j.getMetadata().getName())
            && ns.equals(j.getMetadata().getNamespace())
            && uid.equals(j.getMetadata().getLabels().get(Labels.OWNER_UID))).findFirst());
  }
}
