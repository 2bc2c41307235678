package dev.k3sbackup.reconciler;

import dev.k3sbackup.agent.AgentJobs;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.restore.PeerRestore;
import dev.k3sbackup.restore.ServerRestore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Restores the cluster from an EtcdSnapshot; the phase ({@link RestorePhase}, where the
 * transitions are documented) picks the step: preflight (changes nothing), dry-run plan, safety
 * snapshot, the server's {@code restore-agent} Job. An HA restore (peers) is refused in
 * preflight for now: its node steps exist (restore-agent peer) but the operator does not run
 * them yet.
 */
@ControllerConfiguration(name = "etcdrestore")
public class EtcdRestoreReconciler implements Reconciler<EtcdRestore> {

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final EtcdNodes nodes;
  private final EventRecorder events;
  private final AgentJobs jobs;

  public EtcdRestoreReconciler(KubernetesClient client, OperatorSettings settings) {
    this.client = client;
    this.settings = settings;
    this.nodes = new EtcdNodes(client);
    this.events = new EventRecorder(client, settings.clock());
    this.jobs = new AgentJobs(settings.agentImage());
  }

  @Override
  public UpdateControl<EtcdRestore> reconcile(EtcdRestore restore, Context<EtcdRestore> ctx) {
    if (restore.getStatus() == null) {
      restore.setStatus(new EtcdRestoreStatus());
    }
    EtcdRestoreStatus status = restore.getStatus();
    if (status.phaseOrPending().terminal()) {
      return UpdateControl.noUpdate();
    }
    if (status.phase == null) {
      enter(restore, RestorePhase.Pending, "accepted");
    }
    return switch (status.phase) {
      case Pending, Preflight -> preflightStep(restore);
      case SafetySnapshot -> safetySnapshotStep(restore);
      case Restoring -> restoringStep(restore);
      default -> UpdateControl.noUpdate();
    };
  }

  /** Pending/Preflight: check everything, change nothing; then plan, or go. */
  private UpdateControl<EtcdRestore> preflightStep(EtcdRestore restore) {
    EtcdRestoreStatus status = restore.getStatus();
    if (status.phase == RestorePhase.Pending) {
      enter(restore, RestorePhase.Preflight, "checking, changing nothing");
    }
    Optional<SpecProblem> problem = preflight(restore);
    if (problem.isEmpty() && !restore.getSpec().dryRun() && !status.plan.peers.isEmpty()) {
      problem = Optional.of(new SpecProblem("HaNotAvailable", "an HA restore (peers "
          + status.plan.peers + ") cannot be run from the operator in this version yet: run "
          + "the node steps with restore-agent (README), or restore a single server"));
    }
    if (problem.isPresent()) {
      return fail(restore, problem.get().reason(), "preflight refused the restore, nothing "
          + "was touched: " + problem.get().message());
    }
    if (restore.getSpec().dryRun()) {
      enter(restore, RestorePhase.PlanReady, "dry run: the plan is in status.plan; nothing "
          + "was touched");
      Conditions.set(status.conditions, Conditions.READY, true, "PlanReady", status.message,
          restore.getMetadata().getGeneration(), now());
      events.normal(restore, "PlanReady", status.message);
      return UpdateControl.patchStatus(restore);
    }
    if (Boolean.FALSE.equals(restore.getSpec().safetySnapshot)) {
      enter(restore, RestorePhase.Restoring, "preflight passed; restoring on "
          + status.plan.server + " (no safety snapshot: spec.safetySnapshot is false)");
    } else {
      enter(restore, RestorePhase.SafetySnapshot, "preflight passed; taking a safety "
          + "snapshot of the current state on " + status.plan.server + " first");
    }
    events.normal(restore, "PreflightPassed", status.message);
    return UpdateControl.patchStatus(restore).rescheduleAfter(java.time.Duration.ofMillis(200));
  }

  /** SafetySnapshot: an EtcdSnapshot of the current state, on the server node. */
  private UpdateControl<EtcdRestore> safetySnapshotStep(EtcdRestore restore) {
    String name = restore.getMetadata().getName() + "-safety";
    String ns = restore.getMetadata().getNamespace();
    EtcdSnapshot safety = client.resources(EtcdSnapshot.class).inNamespace(ns).withName(name)
        .get();
    if (safety == null) {
      EtcdSnapshot s = new EtcdSnapshot();
      s.getMetadata().setName(name);
      s.getMetadata().setNamespace(ns);
      s.setSpec(new dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec());
      s.getSpec().node = restore.getStatus().plan.server;
      s.getSpec().namePrefix = "pre-restore";
      client.resource(s).create();
      return UpdateControl.<EtcdRestore>noUpdate().rescheduleAfter(recheck());
    }
    var phase = safety.getStatus() == null ? null : safety.getStatus().phase;
    if (phase == SnapshotPhase.Succeeded) {
      enter(restore, RestorePhase.Restoring, "safety snapshot " + name + " saved ("
          + safety.getStatus().snapshotName + "); restoring on " + restore.getStatus().plan.server);
      return UpdateControl.patchStatus(restore).rescheduleAfter(java.time.Duration.ofMillis(200));
    }
    if (phase == SnapshotPhase.Failed) {
      return fail(restore, "SafetySnapshotFailed", "the safety snapshot failed, nothing was "
          + "touched: " + safety.getStatus().message);
    }
    return UpdateControl.<EtcdRestore>noUpdate().rescheduleAfter(recheck());
  }

  /** Restoring: the server's restore-agent Job, followed to its end. */
  private UpdateControl<EtcdRestore> restoringStep(EtcdRestore restore) {
    var plan = restore.getStatus().plan;
    String ns = restore.getMetadata().getNamespace();
    String jobName = AgentJobs.jobName(restore.getMetadata().getName(), "-server");
    var jobsApi = client.batch().v1().jobs().inNamespace(ns);
    var job = jobsApi.withName(jobName).get();
    if (job == null) {
      var created = jobs.restoreServer(restore, jobName, plan.server, dataDir(plan),
          plan.snapshotPath, plan.sha256);
      created.addOwnerReference(restore);
      jobsApi.resource(created).create();
      return UpdateControl.<EtcdRestore>noUpdate().rescheduleAfter(recheck());
    }
    if (!JobState.finished(job)) {
      return UpdateControl.<EtcdRestore>noUpdate().rescheduleAfter(recheck());
    }
    Optional<AgentJobs.Outcome> outcome = AgentJobs.outcomeOf(client, ns, jobName);
    if (outcome.isPresent() && outcome.get().ok()) {
      EtcdRestoreStatus status = restore.getStatus();
      enter(restore, RestorePhase.Succeeded, "restored from " + plan.snapshotPath + " on "
          + plan.server + " (etcd revision " + plan.etcdRevision + "); the old data is kept "
          + "next to it as db/etcd-old-<unix>");
      Conditions.set(status.conditions, Conditions.READY, true, "Restored", status.message,
          restore.getMetadata().getGeneration(), now());
      events.normal(restore, "Restored", status.message);
      return UpdateControl.patchStatus(restore);
    }
    return fail(restore, "RestoreFailed", "the restore on " + plan.server + " failed: "
        + outcome.map(AgentJobs.Outcome::message).orElse("no result from Job " + jobName)
        + "; its journal on the node says which steps ran (kubectl logs job/" + jobName + ")");
  }

  private UpdateControl<EtcdRestore> fail(EtcdRestore restore, String reason, String message) {
    EtcdRestoreStatus status = restore.getStatus();
    enter(restore, RestorePhase.Failed, message);
    Conditions.set(status.conditions, Conditions.READY, false, reason, message,
        restore.getMetadata().getGeneration(), now());
    Conditions.set(status.conditions, Conditions.FAILED, true, reason, message,
        restore.getMetadata().getGeneration(), now());
    events.warning(restore, reason, message);
    return UpdateControl.patchStatus(restore);
  }

  /** The data dir the snapshot path sits in ({@code <data-dir>/server/db/snapshots/...}). */
  private static String dataDir(RestorePlan plan) {
    int at = plan.snapshotPath.indexOf("/server/db/");
    return at > 0 ? plan.snapshotPath.substring(0, at) : "/var/lib/rancher/k3s";
  }

  private java.time.Duration recheck() {
    return settings.pollEvery(java.time.Duration.ofSeconds(5));
  }

  private Optional<SpecProblem> preflight(EtcdRestore restore) {
    var spec = restore.getSpec();
    String ns = restore.getMetadata().getNamespace();
    if (!spec.dryRun() && !spec.confirmed()) {
      return Optional.of(new SpecProblem("NotConfirmed", "spec.confirm must be true: a restore "
          + "rolls the whole cluster back to the snapshot's time (or set spec.dryRun: true)"));
    }
    EtcdSnapshot snapshot = spec.snapshot == null ? null
        : client.resources(EtcdSnapshot.class).inNamespace(ns).withName(spec.snapshot).get();
    if (snapshot == null) {
      return Optional.of(new SpecProblem("SnapshotNotFound", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' not found in namespace " + ns + ": list them with "
          + "kubectl get esnap -n " + ns));
    }
    var s = snapshot.getStatus();
    if (s == null || s.phase != SnapshotPhase.Succeeded || s.localPath == null
        || s.node == null) {
      return Optional.of(new SpecProblem("SnapshotNotUsable", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' has not succeeded or has no local copy on a node (restoring from "
          + "S3 is not available in this version)"));
    }
    if (s.sha256 == null && !Boolean.TRUE.equals(s.adopted)) {
      return Optional.of(new SpecProblem("SnapshotNotVerified", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' has no recorded sha256"));
    }
    List<String> ready = nodes.ready();
    if (!ready.contains(s.node)) {
      return Optional.of(new SpecProblem("ServerNotReady", "the snapshot is on node " + s.node
          + ", which is not a Ready etcd server node"));
    }
    List<String> peers = spec.peers != null ? spec.peers
        : ready.stream().filter(n -> !n.equals(s.node)).toList();
    for (String peer : peers) {
      if (!ready.contains(peer) || peer.equals(s.node)) {
        return Optional.of(new SpecProblem("PeerNotReady", "spec.peers: " + peer + " is not a "
            + "Ready etcd server node other than the server " + s.node));
      }
    }
    List<String> busy = new ArrayList<>();
    for (EtcdRestore other : client.resources(EtcdRestore.class).inAnyNamespace().list()
        .getItems()) {
      if (!other.getMetadata().getUid().equals(restore.getMetadata().getUid())
          && other.getStatus() != null && !other.getStatus().phaseOrPending().terminal()
          && other.getStatus().phase != RestorePhase.Pending) {
        busy.add("EtcdRestore " + other.getMetadata().getNamespace() + "/"
            + other.getMetadata().getName());
      }
    }
    for (EtcdSnapshot running : client.resources(EtcdSnapshot.class).inAnyNamespace().list()
        .getItems()) {
      if (running.getStatus() != null && running.getStatus().phase == SnapshotPhase.Running) {
        busy.add("EtcdSnapshot " + running.getMetadata().getNamespace() + "/"
            + running.getMetadata().getName());
      }
    }
    if (!busy.isEmpty() && !spec.dryRun()) {
      return Optional.of(new SpecProblem("OperationRunning", "one operation at a time: "
          + String.join(", ", busy) + " is running; create this restore again when it is done"));
    }
    RestorePlan plan = new RestorePlan();
    plan.server = s.node;
    plan.peers = new ArrayList<>(peers);
    plan.snapshotPath = s.localPath;
    plan.sha256 = s.sha256;
    plan.etcdRevision = s.etcdRevision;
    List<String> serverSteps = peers.isEmpty() ? ServerRestore.STEPS
        : List.of("verify", "stop", "reset", "await-peers", "start", "await-rejoin");
    if (!Boolean.FALSE.equals(spec.safetySnapshot)) {
      plan.steps.add("operator: safety snapshot of the current state on " + s.node);
    }
    plan.steps.add("server " + s.node + ": " + String.join(", ", serverSteps));
    for (String peer : peers) {
      plan.steps.add("peer " + peer + ": " + String.join(", ", PeerRestore.STEPS));
    }
    restore.getStatus().plan = plan;
    return Optional.empty();
  }

  private void enter(EtcdRestore restore, RestorePhase phase, String message) {
    EtcdRestoreStatus status = restore.getStatus();
    status.phase = phase;
    status.message = message;
    status.observedGeneration = restore.getMetadata().getGeneration();
    PhaseTransition t = new PhaseTransition();
    t.phase = phase;
    t.time = now().toString();
    t.message = message;
    status.history.add(t);
  }

  private Instant now() {
    return settings.clock().instant();
  }
}
