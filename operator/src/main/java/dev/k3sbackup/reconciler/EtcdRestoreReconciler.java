package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.agent.AgentJobs;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
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
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestoreStepStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Restores the cluster from an EtcdSnapshot; the phase ({@link RestorePhase}, where the
 * transitions are documented) picks the step: preflight (API checks, then a Job on the server
 * node that checks, or fetches from S3, the file and the server token; nothing is stopped),
 * dry-run plan, safety snapshot, then one {@code restore-agent} Job per node (the server and
 * its peers) which carry the plan through without the API and coordinate through each other's
 * status servers. The nodes' journals give each node's steps; when the etcd rollback removes
 * this resource, {@link RestoreJournalCollector} shows the outcome on a recreated one.
 */
@ControllerConfiguration(name = "etcdrestore")
public class EtcdRestoreReconciler implements Reconciler<EtcdRestore> {

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final EtcdNodes nodes;
  private final EventRecorder events;
  private final RestorePhases phases;
  private final AgentJobs jobs;

  public EtcdRestoreReconciler(KubernetesClient client, OperatorSettings settings) {
    this.client = client;
    this.settings = settings;
    this.nodes = new EtcdNodes(client);
    this.events = new EventRecorder(client, settings.clock());
    this.phases = new RestorePhases(events, settings.clock());
    this.jobs = new AgentJobs(settings.agentImage());
  }

  @Override
  public UpdateControl<EtcdRestore> reconcile(EtcdRestore restore, Context<EtcdRestore> ctx) {
    // after an etcd rollback the cache can hold a restore that no longer exists: ask the API
    EtcdRestore current = client.resource(restore).get();
    if (current == null || !current.getMetadata().getUid().equals(
        restore.getMetadata().getUid())) {
      return UpdateControl.noUpdate();
    }
    if (restore.getStatus() == null) {
      restore.setStatus(new EtcdRestoreStatus());
    }
    EtcdRestoreStatus status = restore.getStatus();
    if (status.phaseOrPending().terminal() || RestoreJournalCollector.isRecovered(restore)) {
      return UpdateControl.noUpdate(); // a recovered resource only shows the journals' outcome
    }
    if (status.phase == null) {
      phases.enter(restore, RestorePhase.Pending, "accepted");
    }
    return switch (status.phase) {
      case Pending, Preflight -> preflightStep(restore);
      case SafetySnapshot -> safetySnapshotStep(restore);
      case Restoring -> restoringStep(restore);
      default -> UpdateControl.noUpdate();
    };
  }

  /**
   * Pending/Preflight: check everything through the API, then on the server node (the file, its
   * sha256 and trailer, the server token; an S3 snapshot is fetched there), changing nothing;
   * then plan, or go.
   */
  private UpdateControl<EtcdRestore> preflightStep(EtcdRestore restore) {
    EtcdRestoreStatus status = restore.getStatus();
    if (status.phase == RestorePhase.Pending) {
      phases.enter(restore, RestorePhase.Preflight, "checking, changing nothing");
    }
    String ns = restore.getMetadata().getNamespace();
    String jobName = AgentJobs.jobName(restore.getMetadata().getName(), "-preflight");
    var jobsApi = client.batch().v1().jobs().inNamespace(ns);
    var job = jobsApi.withName(jobName).get();
    // the API checks plan the restore; once the node's check runs, only it is followed
    if (job == null || status.plan == null) {
      Optional<SpecProblem> problem = preflight(restore);
      if (problem.isPresent()) {
        return fail(restore, problem.get().reason(), "preflight refused the restore, nothing "
            + "was touched: " + problem.get().message());
      }
      if (restore.getSpec().dryRun()) {
        phases.succeed(restore, RestorePhase.PlanReady, "PlanReady", "dry run: the plan is in "
            + "status.plan; nothing was touched");
        return UpdateControl.patchStatus(restore);
      }
    }
    if (job == null) {
      EtcdSnapshot snapshot = client.resources(EtcdSnapshot.class).inNamespace(ns)
          .withName(restore.getSpec().snapshot).get();
      var created = jobs.prepareRestore(restore, jobName, status.plan.server, snapshot,
          status.plan.fetchFrom != null);
      created.addOwnerReference(restore);
      jobsApi.resource(created).create();
      status.message = "checking the snapshot on " + status.plan.server + (status.plan.fetchFrom
          == null ? "" : " (fetching it from " + status.plan.fetchFrom + ")") + ", changing "
          + "nothing (Job " + jobName + ")";
      return UpdateControl.patchStatus(restore).rescheduleAfter(recheck());
    }
    if (!JobState.finished(job)) {
      return UpdateControl.<EtcdRestore>noUpdate().rescheduleAfter(recheck());
    }
    Optional<AgentJobs.Outcome> outcome = AgentJobs.outcomeOf(client, ns, jobName);
    if (outcome.isEmpty() || !outcome.get().ok()) {
      String why = outcome.map(AgentJobs.Outcome::message).orElse("no result from Job "
          + jobName);
      return fail(restore, "SnapshotNotUsable", "preflight refused the restore, nothing was "
          + "touched: on node " + status.plan.server + ": " + why);
    }
    if (Boolean.FALSE.equals(restore.getSpec().safetySnapshot)) {
      phases.enter(restore, RestorePhase.Restoring, "preflight passed (" + checked(outcome.get())
          + "); restoring on " + status.plan.server + " (no safety snapshot: "
          + "spec.safetySnapshot is false)");
    } else {
      phases.enter(restore, RestorePhase.SafetySnapshot, "preflight passed ("
          + checked(outcome.get()) + "); taking a safety snapshot of the current state on "
          + status.plan.server + " first");
    }
    events.normal(restore, "PreflightPassed", status.message);
    return UpdateControl.patchStatus(restore).rescheduleAfter(java.time.Duration.ofMillis(200));
  }

  private static String checked(AgentJobs.Outcome outcome) {
    var r = outcome.result();
    String text = "snapshot verified on the node, sha256 " + r.path("sha256").asText();
    if (r.path("fetched").asBoolean(false)) {
      text += ", fetched from S3 to " + r.path("path").asText();
    }
    return text;
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
      phases.enter(restore, RestorePhase.Restoring, "safety snapshot " + name + " saved ("
          + safety.getStatus().snapshotName + "); restoring on " + restore.getStatus().plan.server);
      events.normal(restore, "SafetySnapshotSaved", restore.getStatus().message);
      return UpdateControl.patchStatus(restore).rescheduleAfter(java.time.Duration.ofMillis(200));
    }
    if (phase == SnapshotPhase.Failed) {
      return fail(restore, "SafetySnapshotFailed", "the safety snapshot failed, nothing was "
          + "touched: " + safety.getStatus().message);
    }
    return UpdateControl.<EtcdRestore>noUpdate().rescheduleAfter(recheck());
  }

  /**
   * Restoring: one restore-agent Job per node, all created together (they wait for each other
   * through their status servers), followed to their end.
   */
  private UpdateControl<EtcdRestore> restoringStep(EtcdRestore restore) {
    EtcdRestoreStatus status = restore.getStatus();
    var plan = status.plan;
    String ns = restore.getMetadata().getNamespace();
    var jobsApi = client.batch().v1().jobs().inNamespace(ns);
    var call = new AgentJobs.RestoreCall(restore, restore.getSpec().snapshot, dataDir(plan),
        settings.restoreAgentPort(), plan.agents);
    Map<String, String> jobNames = new LinkedHashMap<>();
    jobNames.put(plan.server, AgentJobs.jobName(restore.getMetadata().getName(), "-server"));
    for (String peer : plan.peers) {
      jobNames.put(peer, AgentJobs.jobName(restore.getMetadata().getName(), "-peer-"
          + peer.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]", "-")));
    }
    List<NodeRestoreStatus> nodes = new ArrayList<>();
    boolean allFinished = true;
    for (var e : jobNames.entrySet()) {
      String node = e.getKey();
      var job = jobsApi.withName(e.getValue()).get();
      if (job == null) {
        // a rerun of an agent resumes from its journal, so creating it again is safe
        var created = node.equals(plan.server)
            ? jobs.restoreServer(call, e.getValue(), node, plan.snapshotPath, plan.sha256,
                plan.peers)
            : jobs.restorePeer(call, e.getValue(), node, plan.server);
        created.addOwnerReference(restore);
        jobsApi.resource(created).create();
      }
      Optional<AgentJobs.Outcome> outcome = job != null && JobState.finished(job)
          ? AgentJobs.outcomeOf(client, ns, e.getValue()) : Optional.empty();
      if (outcome.isPresent() && outcome.get().result() != null
          && outcome.get().result().has("steps")) {
        nodes.add(RestoreReports.toStatus(outcome.get().result(), e.getValue()));
      } else {
        NodeRestoreStatus waiting = new NodeRestoreStatus();
        waiting.node = node;
        waiting.role = node.equals(plan.server) ? "server" : "peer";
        waiting.jobName = e.getValue();
        if (outcome.isPresent() && !outcome.get().ok()) {
          RestoreStepStatus failed = new RestoreStepStatus();
          failed.step = "run";
          failed.state = "Failed";
          failed.message = outcome.get().message();
          waiting.steps.add(failed);
        }
        nodes.add(waiting);
      }
      allFinished &= job != null && JobState.finished(job);
    }
    status.nodes = nodes;
    if (!allFinished) {
      return UpdateControl.patchStatus(restore).rescheduleAfter(recheck());
    }
    if (RestoreReports.judge(nodes, plan.server, plan.peers)
        == RestoreReports.Verdict.SUCCEEDED) {
      phases.succeed(restore, RestorePhase.Succeeded, "Restored", "restored from "
          + plan.snapshotPath + " on " + plan.server + (plan.peers.isEmpty() ? ""
          : ", and " + String.join(", ", plan.peers) + " rejoined") + " (etcd revision " + plan.etcdRevision + "); the old data is kept "
          + "next to it (db/etcd-old-<unix>" + (plan.peers.isEmpty() ? ")" : "; the peers' in "
          + "server/db-old-<unix>)"));
      return UpdateControl.patchStatus(restore);
    }
    return fail(restore, "RestoreFailed", "the restore failed: " + RestoreReports.failure(nodes)
        .orElse("a node's Job ended without finishing its steps") + "; each node's journal "
        + "(status.nodes, and kubectl logs on the Jobs " + String.join(", ", jobNames.values())
        + ") says which steps ran; a rerun resumes from it");
  }

  private UpdateControl<EtcdRestore> fail(EtcdRestore restore, String reason, String message) {
    phases.fail(restore, reason, message);
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
    boolean inS3 = s != null && s.s3 != null && snapshot.getSpec().s3 != null;
    if (s == null || s.phase != SnapshotPhase.Succeeded || s.snapshotName == null
        || (s.localPath == null && !inS3)) {
      return Optional.of(new SpecProblem("SnapshotNotUsable", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' has not succeeded, or has neither a file on a node nor an S3 "
          + "copy"));
    }
    if (s.sha256 == null && !Boolean.TRUE.equals(s.adopted)) {
      return Optional.of(new SpecProblem("SnapshotNotVerified", "spec.snapshot: EtcdSnapshot '"
          + spec.snapshot + "' has no recorded sha256"));
    }
    List<String> ready = nodes.ready();
    String server = spec.server != null ? spec.server
        : s.localPath != null && s.node != null ? s.node
        : ready.isEmpty() ? null : ready.get(0);
    if (server == null || !ready.contains(server)) {
      return Optional.of(new SpecProblem("ServerNotReady", (spec.server != null ? "spec.server: "
          : "the snapshot's node: ") + server + " is not a Ready etcd server node (labelled "
          + Labels.ETCD_NODE_ROLE + "=true); choose one with spec.server"));
    }
    boolean localThere = s.localPath != null && server.equals(s.node);
    if (!localThere && !inS3) {
      return Optional.of(new SpecProblem("SnapshotNotOnServer", "spec.server: the snapshot's "
          + "file is on node " + s.node + ", not on " + server + ", and it has no S3 copy to "
          + "fetch from: restore on " + s.node + " (leave spec.server out)"));
    }
    List<String> peers = spec.peers != null ? spec.peers
        : ready.stream().filter(n -> !n.equals(server)).toList();
    for (String peer : peers) {
      if (!ready.contains(peer) || peer.equals(server)) {
        return Optional.of(new SpecProblem("PeerNotReady", "spec.peers: " + peer + " is not a "
            + "Ready etcd server node other than the server " + server));
      }
    }
    Map<String, String> agents = new java.util.TreeMap<>();
    for (String node : concat(server, peers)) {
      Optional<String> address = nodes.find(node).flatMap(EtcdNodes::address);
      if (address.isEmpty()) {
        return Optional.of(new SpecProblem("NodeAddressUnknown", "node " + node + " reports no "
            + "InternalIP in status.addresses, so the restore agents could not reach each other "
            + "while the API server is down"));
      }
      agents.put(node, "http://" + address.get() + ":" + settings.restoreAgentPort() + "/");
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
    plan.server = server;
    plan.peers = new ArrayList<>(peers);
    plan.snapshotPath = localThere ? s.localPath
        : snapshot.getSpec().localOrDefault().dirOrDefault() + "/" + s.snapshotName;
    plan.fetchFrom = localThere ? null : s.s3.location;
    plan.sha256 = s.sha256;
    plan.tokenHash = s.tokenHash;
    plan.etcdRevision = s.etcdRevision;
    plan.agents = agents;
    List<String> serverSteps = peers.isEmpty() ? ServerRestore.STEPS : ServerRestore.HA_STEPS;
    plan.steps.add("preflight on " + server + ": " + (localThere ? "" : "fetch the snapshot "
        + "from " + s.s3.location + ", ") + "verify etcd's trailer and sha256"
        + (s.tokenHash == null ? "" : ", check the server token hash " + s.tokenHash));
    if (!Boolean.FALSE.equals(spec.safetySnapshot)) {
      plan.steps.add("operator: safety snapshot of the current state on " + server);
    }
    plan.steps.add("server " + server + ": " + String.join(", ", serverSteps));
    for (String peer : peers) {
      plan.steps.add("peer " + peer + ": " + String.join(", ", PeerRestore.STEPS));
    }
    restore.getStatus().plan = plan;
    return Optional.empty();
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(rest);
    return all;
  }
}
