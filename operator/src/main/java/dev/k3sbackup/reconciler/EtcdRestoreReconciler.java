package dev.k3sbackup.reconciler;

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
 * Plans a restore and checks it before anything is touched (see {@link RestorePhase} for the
 * state machine). This version runs the preflight and dry runs; running the plan's node steps
 * (the {@code restore-agent} Jobs) is the next step of its development, and a confirmed restore
 * says so rather than pretending.
 */
@ControllerConfiguration(name = "etcdrestore")
public class EtcdRestoreReconciler implements Reconciler<EtcdRestore> {

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final EtcdNodes nodes;
  private final EventRecorder events;

  public EtcdRestoreReconciler(KubernetesClient client, OperatorSettings settings) {
    this.client = client;
    this.settings = settings;
    this.nodes = new EtcdNodes(client);
    this.events = new EventRecorder(client, settings.clock());
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
    if (status.phase == RestorePhase.Pending) {
      enter(restore, RestorePhase.Preflight, "checking, changing nothing");
    }
    Optional<SpecProblem> problem = preflight(restore);
    if (problem.isPresent()) {
      enter(restore, RestorePhase.Failed, "preflight refused the restore, nothing was "
          + "touched: " + problem.get().message());
      Conditions.set(status.conditions, Conditions.READY, false, problem.get().reason(),
          status.message, restore.getMetadata().getGeneration(), now());
      events.warning(restore, problem.get().reason(), status.message);
      return UpdateControl.patchStatus(restore);
    }
    if (restore.getSpec().dryRun()) {
      enter(restore, RestorePhase.PlanReady, "dry run: the plan is in status.plan; nothing "
          + "was touched");
      Conditions.set(status.conditions, Conditions.READY, true, "PlanReady", status.message,
          restore.getMetadata().getGeneration(), now());
      events.normal(restore, "PlanReady", status.message);
      return UpdateControl.patchStatus(restore);
    }
    String message = "preflight passed; running the plan from the operator is not available in "
        + "this version yet: run the node steps with restore-agent (README), or delete this "
        + "resource";
    if (!message.equals(status.message)) {
      status.message = message;
      Conditions.set(status.conditions, Conditions.READY, false, "ExecutionNotAvailable",
          message, restore.getMetadata().getGeneration(), now());
      events.warning(restore, "ExecutionNotAvailable", message);
      return UpdateControl.patchStatus(restore);
    }
    return UpdateControl.noUpdate();
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
