package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.DrillPhase;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotDrill;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.cluster.EtcdNodes;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.contract.DrillReport;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.jobs.JobState;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.StatusWriter;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A succeeded snapshot's restore drill, asked for by the {@link Annotations#DRILL} annotation
 * (by its user, the plugin's {@code drill} verb, or the schedule's {@code drill.every}). Once per
 * annotation value: {@code status.drill.request} records the value answered, so re-applying the
 * same manifest asks nothing more. The phase ({@link DrillPhase}) says which step runs:
 *
 * <ul>
 *   <li>a new value: choose the node (the snapshot's own, which has the file; for an S3 copy
 *       without a local file, any Ready etcd node), write the request, node and the Job's name
 *       into {@code status.drill} (Pending), then create the Job (Running). No Ready node: stays
 *       Pending, said why.
 *   <li>Running: follow the Job; copy its {@link DrillReport} into {@code status.drill} (Passed
 *       or Failed, with the agent's reason).
 *   <li>Passed and Failed are terminal for that value.
 * </ul>
 */
final class SnapshotDrillStep {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotDrillStep.class);
  private static final ResultType<DrillReport> DRILLED = ResultType.of(DrillReport.class);

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final NodeJobs jobs;
  private final AgentJobs agentJobs;
  private final Events events;
  private final EtcdNodes nodes;

  SnapshotDrillStep(Collaborators with) {
    this.client = with.client();
    this.settings = with.settings();
    this.jobs = with.jobs();
    this.agentJobs = with.agentJobs();
    this.events = with.events();
    this.nodes = with.nodes();
  }

  /** Whether {@code snapshot} has a drill to start or follow. */
  static boolean wanted(EtcdSnapshot snapshot) {
    String request = Annotations.drillRequest(snapshot);
    EtcdSnapshotStatus status = snapshot.getStatus();
    if (request == null || status == null || status.snapshotName == null) {
      return false;
    }
    SnapshotDrill drill = status.drill;
    return drill == null || !request.equals(drill.request) || !drill.phaseOrPending().terminal();
  }

  /** Starts or follows the drill; empty when nothing changed, else when to look again. */
  Optional<Duration> step(EtcdSnapshot snapshot, Context<EtcdSnapshot> context) {
    String request = Annotations.drillRequest(snapshot);
    EtcdSnapshotStatus status = snapshot.getStatus();
    Instant now = settings.clock().instant();
    if (status.drill == null || !request.equals(status.drill.request)) {
      return Optional.of(start(snapshot, request, now, context));
    }
    SnapshotDrill drill = status.drill;
    if (drill.jobName == null || drill.phaseOrPending() == DrillPhase.Pending
        && drill.node == null) {
      return Optional.of(start(snapshot, request, now, context));
    }
    Job job = jobs.get(settings.home(), drill.jobName).orElse(null);
    if (job == null) {
      launch(snapshot, now, context);
      return Optional.of(recheck());
    }
    if (!JobState.finished(job)) {
      if (nodes.notReadySince(drill.node).filter(t -> now.isAfter(t.plus(
          EtcdSnapshotReconciler.NODE_GRACE))).isPresent()) {
        jobs.delete(job);
        finish(snapshot, AgentResult.failure(FailureKind.FAILED, "node " + drill.node
            + " stopped being Ready during the drill; its Job was given up: ask again with a "
            + "new k3sbackup.dev/drill value", null), now, context);
        return Optional.of(Duration.ZERO);
      }
      return Optional.of(recheck());
    }
    AgentResult<DrillReport> outcome = JobState.deadlineExceeded(job)
        ? AgentResult.failure(FailureKind.FAILED, "the drill did not finish within the Job's "
            + "deadline; Kubernetes ended the Job " + drill.jobName, null)
        : jobs.result(job, DRILLED).orElse(AgentResult.failure(FailureKind.FAILED, "the Job "
            + drill.jobName + " finished without a Pod result", null));
    finish(snapshot, outcome, now, context);
    return Optional.of(Duration.ZERO);
  }

  private Duration start(EtcdSnapshot snapshot, String request, Instant now,
      Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    SnapshotDrill drill = new SnapshotDrill();
    drill.request = request;
    drill.phase = DrillPhase.Pending;
    boolean local = status.localPath != null && status.node != null;
    boolean s3 = status.s3 != null && snapshot.getSpec().s3 != null;
    Optional<String> node = local && nodes.isReady(status.node) ? Optional.of(status.node)
        : s3 ? nodes.ready().stream().findFirst() : Optional.empty();
    if (!local && !s3) {
      drill.phase = DrillPhase.Failed;
      drill.completionTime = now.toString();
      drill.message = "nothing to drill: the snapshot has neither a local file nor an S3 copy";
      status.drill = drill;
      StatusWriter.replaceNow(context, snapshot);
      return Duration.ZERO;
    }
    Optional<String> noKey = missingDrillKey(snapshot);
    if (noKey.isPresent()) {
      drill.phase = DrillPhase.Failed;
      drill.completionTime = now.toString();
      drill.message = noKey.get();
      status.drill = drill;
      StatusWriter.replaceNow(context, snapshot);
      events.warning(snapshot, "DrillFailed", drill.message);
      return Duration.ZERO;
    }
    if (node.isEmpty()) {
      drill.message = "waiting for " + (local ? "node " + status.node + ", which has the file, "
          + "to be Ready" : "a Ready etcd server node") + " to run the drill on";
      status.drill = drill;
      StatusWriter.replaceNow(context, snapshot);
      return recheck();
    }
    drill.node = node.get();
    drill.source = local && node.get().equals(status.node) ? "file://" + status.localPath
        : status.s3.location;
    drill.jobName = agentJobs.jobName(snapshot, "-drill-" + KubeNames.hash(request));
    drill.startTime = now.toString();
    drill.message = "starting on node " + drill.node;
    status.drill = drill;
    // the names go into status before the Job exists: a restarted operator resumes
    StatusWriter.replaceNow(context, snapshot);
    launch(snapshot, now, context);
    return recheck();
  }

  /**
   * Why an encrypted snapshot cannot be drilled (no identity named, or its Secret or key absent),
   * said before a Job would wait on a Secret that is not there; empty when it can.
   */
  private Optional<String> missingDrillKey(EtcdSnapshot snapshot) {
    boolean encrypted = Boolean.TRUE.equals(snapshot.getStatus().encrypted)
        || dev.k3sbackup.base.SnapshotName.isEncrypted(snapshot.getStatus().snapshotName);
    if (!encrypted) {
      return Optional.empty();
    }
    var encryption = snapshot.getSpec().encryption;
    var d = encryption == null ? null : encryption.drillDecryption;
    if (d == null) {
      return Optional.of("the snapshot is encrypted with age and a drill needs its plaintext: "
          + "set spec.encryption.drillDecryption.identitySecret (on the schedule's "
          + "snapshotTemplate for its drills) to a Secret in namespace " + agentJobs.namespace()
          + " holding an identity of one of its recipients; nothing was run");
    }
    String home = agentJobs.namespace();
    String key = d.identityKeyOrDefault();
    return dev.k3sbackup.cluster.SecretKeys.missing(client, home, d.identitySecret, key)
        .map(why -> "spec.encryption.drillDecryption.identitySecret: " + why + ": create it "
            + "with kubectl create secret generic " + d.identitySecret + " -n " + home
            + " --from-file=" + key + "=KEY_FILE; nothing was run");
  }

  private void launch(EtcdSnapshot snapshot, Instant now, Context<EtcdSnapshot> context) {
    SnapshotDrill drill = snapshot.getStatus().drill;
    boolean fromS3 = drill.source != null && drill.source.startsWith("s3://");
    jobs.create(agentJobs.drill(snapshot, drill.jobName, drill.node, fromS3));
    drill.phase = DrillPhase.Running;
    drill.message = "drill running on node " + drill.node + " (Job " + drill.jobName + ")";
    StatusWriter.replaceNow(context, snapshot);
    LOG.info("snapshot {}: {}", snapshot.getMetadata().getName(), drill.message);
    events.normal(snapshot, "DrillStarted", drill.message);
  }

  private void finish(EtcdSnapshot snapshot, AgentResult<DrillReport> outcome, Instant now,
      Context<EtcdSnapshot> context) {
    SnapshotDrill drill = snapshot.getStatus().drill;
    drill.completionTime = now.toString();
    outcome.value().ifPresent(r -> {
      drill.revision = r.revision();
      drill.keys = r.keys();
      drill.resourceTypes = r.resourceTypes();
      drill.keyCounts = r.keyCounts() == null ? new ArrayList<>() : new ArrayList<>(
          r.keyCounts());
      drill.seconds = r.timings() == null ? null : r.timings().total();
      if (r.source() != null) {
        drill.source = r.source();
      }
    });
    if (outcome.ok() && drill.revision != null) {
      drill.phase = DrillPhase.Passed;
      drill.message = "restored into a throwaway etcd on node " + drill.node + " and read back: "
          + "revision " + drill.revision + ", " + drill.keys + " keys under /registry/ in "
          + drill.resourceTypes + " resource types";
      events.normal(snapshot, "DrillPassed", drill.message);
      LOG.info("snapshot {}: drill passed: {}", snapshot.getMetadata().getName(), drill.message);
    } else {
      drill.phase = DrillPhase.Failed;
      drill.message = "not proven restorable: " + outcome.message() + " (Job logs: kubectl "
          + "logs -n " + settings.home() + " job/" + drill.jobName + ")";
      events.warning(snapshot, "DrillFailed", drill.message);
      LOG.warn("snapshot {}: drill failed: {}", snapshot.getMetadata().getName(),
          drill.message);
    }
    StatusWriter.replaceNow(context, snapshot);
  }

  private Duration recheck() {
    return settings.pollEvery(Duration.ofSeconds(10));
  }
}
