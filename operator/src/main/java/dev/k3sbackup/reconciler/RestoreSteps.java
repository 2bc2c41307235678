package dev.k3sbackup.reconciler;

import dev.k3sbackup.cluster.RestoreLease;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import dev.k3sbackup.api.v1alpha1.RestoreStepStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.api.v1alpha1.StepState;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.contract.PastRestore;
import dev.k3sbackup.contract.PreparedRestore;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.RestoreReport;
import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.jobs.JobState;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.RestoreOutcome;
import dev.k3sbackup.status.RestorePhases;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The work of each restore phase ({@link RestorePhase} documents the transitions), given the
 * cluster, the node Jobs (as observed by the reconcile that runs the step) and the Events as
 * collaborators. Each step looks at the restore and what it has made so far, acts at most once,
 * writes what it did into the restore's status and says how to go on ({@link Progress}); the
 * reconciler writes the status.
 */
final class RestoreSteps {

  /** How a step went. */
  enum Progress {
    /** Waiting for something to change (a Job, the safety snapshot): an event brings it back. */
    WAIT,
    /** Entered the next phase: go on at once. */
    NEXT,
    /** Ended in a terminal phase. */
    DONE
  }

  static final ResultType<PreparedRestore> PREPARED = ResultType.of(PreparedRestore.class);
  static final ResultType<RestoreReport> REPORT = ResultType.of(RestoreReport.class);

  private final RestoreCluster cluster;
  private final AgentJobs agentJobs;
  private final Events events;
  private final RestorePhases phases;
  private final int agentPort;
  private final int safetySnapshotsKept;
  private final int oldDataKept;

  /**
   * @param cluster what the steps read from the cluster and make in it
   * @param agentJobs builds the Jobs
   * @param events where Events go
   * @param phases how a phase is entered (with the injected clock)
   * @param agentPort the port restore agents serve their status on
   */
  RestoreSteps(RestoreCluster cluster, AgentJobs agentJobs, Events events, RestorePhases phases,
      int agentPort) {
    this(cluster, agentJobs, events, phases, agentPort,
        dev.k3sbackup.cluster.OperatorSettings.SAFETY_SNAPSHOTS_KEPT,
        dev.k3sbackup.cluster.OperatorSettings.OLD_DATA_KEPT);
  }

  /**
   * @param safetySnapshotsKept how many safety snapshots stay (the newest) in a namespace
   * @param oldDataKept how many etcd-old-* and db-old-* dirs the agents leave on each node
   */
  RestoreSteps(RestoreCluster cluster, AgentJobs agentJobs, Events events, RestorePhases phases,
      int agentPort, int safetySnapshotsKept, int oldDataKept) {
    this.cluster = cluster;
    this.agentJobs = agentJobs;
    this.events = events;
    this.phases = phases;
    this.agentPort = agentPort;
    this.safetySnapshotsKept = safetySnapshotsKept;
    this.oldDataKept = oldDataKept;
  }

  /** Runs the step of the restore's phase; {@code jobs} are its Jobs as now observed. */
  Progress run(EtcdRestore restore, NodeJobs jobs) {
    return switch (restore.getStatus().phaseOrPending()) {
      case Pending, Preflight -> preflight(restore, jobs);
      case SafetySnapshot -> safetySnapshot(restore);
      case Restoring -> restoring(restore, jobs);
      default -> Progress.DONE;
    };
  }

  /**
   * Pending/Preflight: check everything through the API (the plan), then on the server node
   * (the file, its sha256 and trailer, the server token; an S3 snapshot is fetched there),
   * changing nothing; then plan (dry run), or go.
   */
  Progress preflight(EtcdRestore restore, NodeJobs jobs) {
    EtcdRestoreStatus status = restore.getStatus();
    if (!restore.getSpec().dryRun()) {
      // one restore at a time, decided by the API server before anything else is looked at
      Optional<String> holder = cluster.takeLease(restore);
      if (holder.isPresent()) {
        phases.fail(restore, "OperationRunning", "one restore at a time: EtcdRestore "
            + holder.get() + " is running (it holds the Lease " + RestoreLease.NAME + "); "
            + "nothing was touched: create this restore again when it has ended");
        return Progress.DONE;
      }
    }
    if (status.phaseOrPending() == RestorePhase.Pending) {
      phases.enter(restore, RestorePhase.Preflight, "checking, changing nothing");
    }
    String ns = restore.getMetadata().getNamespace();
    String jobName = agentJobs.jobName(restore, "-preflight");
    Optional<Job> job = jobs.get(agentJobs.namespace(), jobName);
    // the API checks plan the restore; once the node's check runs, only it is followed
    Optional<EtcdSnapshot> snapshot = Optional.empty();
    if (job.isEmpty() || status.plan == null) {
      snapshot = cluster.snapshot(ns, restore.getSpec().snapshot);
      RestorePlanner.Planned planned = RestorePlanner.plan(restore.getSpec(), ns,
          new RestorePlanner.ClusterState(snapshot.orElse(null), cluster.readyEtcdNodes(),
              cluster.operationsRunningBesides(restore), agentPort, cluster.etcdNodeNames(),
              cluster.nodeNames()));
      if (planned.refusal().isPresent()) {
        phases.fail(restore, planned.problem().reason(), "preflight refused the restore, "
            + "nothing was touched: " + planned.problem().message());
        return Progress.DONE;
      }
      status.plan = planned.plan();
      if (restore.getSpec().dryRun()) {
        phases.succeed(restore, RestorePhase.PlanReady, "PlanReady", "dry run: the plan is in "
            + "status.plan; nothing was touched");
        return Progress.DONE;
      }
    }
    RestorePlan plan = status.plan;
    var decryption = restore.getSpec().decryption;
    if (job.isEmpty() && decryption != null) {
      Optional<String> missing = cluster.secretKeyMissing(decryption.identitySecret,
          decryption.identityKeyOrDefault());
      if (missing.isPresent()) {
        phases.fail(restore, "SecretNotFound", "preflight refused the restore, nothing was "
            + "touched: spec.decryption.identitySecret: " + missing.get() + ": create it with "
            + "the age identity (AGE-SECRET-KEY-1...) under key "
            + decryption.identityKeyOrDefault() + ", e.g. kubectl create secret generic "
            + decryption.identitySecret + " -n " + agentJobs.namespace() + " --from-file="
            + decryption.identityKeyOrDefault() + "=key.txt");
        return Progress.DONE;
      }
    }
    if (job.isEmpty()) {
      jobs.create(agentJobs.prepareRestore(restore, jobName, plan.server,
          snapshot.orElseThrow(), plan.fetchFrom != null, decryption));
      status.message = "checking the snapshot on " + plan.server + (plan.fetchFrom == null ? ""
          : " (fetching it from " + plan.fetchFrom + ")") + ", changing nothing (Job "
          + jobName + ")";
      return Progress.WAIT;
    }
    if (!JobState.finished(job.get())) {
      return Progress.WAIT;
    }
    Optional<AgentResult<PreparedRestore>> outcome = jobs.result(job.get(), PREPARED);
    if (outcome.isEmpty() || !outcome.get().ok()) {
      String why = outcome.map(AgentResult::message).orElse("no result from Job " + jobName);
      phases.fail(restore, "SnapshotNotUsable", "preflight refused the restore, nothing was "
          + "touched: on node " + plan.server + ": " + why);
      return Progress.DONE;
    }
    PreparedRestore prepared = outcome.get().result();
    Optional<String> refusal = intentAndCoverage(restore, plan, prepared);
    if (refusal.isPresent()) {
      phases.fail(restore, refusal.get().substring(0, refusal.get().indexOf(':')),
          "preflight refused the restore, nothing was touched: "
              + refusal.get().substring(refusal.get().indexOf(':') + 2));
      return Progress.DONE;
    }
    plan.revisionBefore = prepared.etcdRevision();
    if (prepared.decryptedPath() != null) {
      // the reset reads the file the preflight decrypted next to the snapshot, checked against
      // its own sha256 (the path as the host names it, not as the agent's container did)
      java.nio.file.Path file = java.nio.file.Path.of(plan.snapshotPath);
      plan.snapshotPath = file.resolveSibling(dev.k3sbackup.base.SnapshotName
          .decryptedFileName(file.getFileName().toString())).toString();
      plan.sha256 = prepared.decryptedSha256();
    }
    String checked = checked(prepared);
    if (Boolean.FALSE.equals(restore.getSpec().safetySnapshot)) {
      phases.enter(restore, RestorePhase.Restoring, "preflight passed (" + checked
          + "); restoring on " + plan.server + " (no safety snapshot: spec.safetySnapshot is "
          + "false)");
    } else {
      phases.enter(restore, RestorePhase.SafetySnapshot, "preflight passed (" + checked
          + "); taking a safety snapshot of the current state on " + plan.server + " first");
    }
    events.normal(restore, "PreflightPassed", status.message);
    return Progress.NEXT;
  }

  /**
   * Why the node's findings refuse the restore ("Reason: message"): it ran before under this
   * name and confirmation (the resource was applied again after its rollback), or etcd has
   * members the plan leaves out.
   */
  private Optional<String> intentAndCoverage(EtcdRestore restore, RestorePlan plan,
      PreparedRestore prepared) {
    String ns = restore.getMetadata().getNamespace();
    String name = restore.getMetadata().getName();
    RestoreId self = RestoreId.ofUid(restore.getMetadata().getUid());
    if (prepared != null && prepared.pastRestores() != null) {
      for (PastRestore past : prepared.pastRestores()) {
        if (past.touched() && !self.equals(past.id())
            && past.sameIntent(ns, name, restore.getSpec().confirmation)) {
          return Optional.of("AlreadyRestored: EtcdRestore " + ns + "/" + name + " already ran"
              + (past.confirmation() == null ? "" : " with confirmation '" + past.confirmation()
              + "'") + " (restore " + past.id() + "; its journal on " + plan.server + " ends "
              + past.outcome() + (past.when() == null ? "" : " at " + past.when()) + "): "
              + "applying it again does not restore again. To restore again, set "
              + "spec.confirmation to a new value (for example today's date)");
        }
      }
    }
    if (prepared == null || prepared.members() == null) {
      return Optional.of("MembersUnknown: the preflight on " + plan.server + " could not list "
          + "etcd's members, so whether the restore covers them all is unknown");
    }
    List<String> nodes = new ArrayList<>(List.of(plan.server));
    nodes.addAll(plan.peers);
    List<String> missing = MemberCoverage.uncovered(prepared.members(), nodes,
        cluster.etcdNodes());
    if (!missing.isEmpty()) {
      return Optional.of("MembersNotCovered: etcd has members this restore leaves out: "
          + String.join(", ", missing) + ". A member left out keeps the old cluster's data "
          + "(and, with others, its quorum) while the restored cluster starts: add their nodes "
          + "to spec.peers (their K3s must run), or remove those members first (kubectl "
          + "delete node <node> makes K3s remove its member); --single-server and an empty "
          + "peers list are only for a cluster of one member");
    }
    return Optional.empty();
  }

  /** A restore has ended: the next one may go. */
  void end(EtcdRestore restore) {
    cluster.releaseLease(restore);
  }

  private static String checked(PreparedRestore prepared) {
    String sha256 = prepared == null ? null : prepared.sha256();
    String text = "snapshot verified on the node, sha256 " + sha256;
    if (prepared != null && prepared.fetched()) {
      text += ", fetched from S3";
    }
    if (prepared != null && prepared.decryptedPath() != null) {
      text += ", decrypted next to it (sha256 " + prepared.decryptedSha256() + ")";
    } else if (prepared != null && prepared.fetched()) {
      text += " to " + prepared.path();
    }
    return text;
  }

  /** SafetySnapshot: an EtcdSnapshot of the current state, on the server node. */
  Progress safetySnapshot(EtcdRestore restore) {
    String name = safetySnapshotName(restore);
    String ns = restore.getMetadata().getNamespace();
    Optional<EtcdSnapshot> safety = cluster.snapshot(ns, name);
    if (safety.isEmpty()) {
      EtcdSnapshot s = new EtcdSnapshot();
      s.getMetadata().setName(name);
      s.getMetadata().setNamespace(ns);
      s.getMetadata().setLabels(Map.of(Labels.RESTORE, restore.getMetadata().getName()));
      s.setSpec(new EtcdSnapshotSpec());
      s.getSpec().node = restore.getStatus().plan.server;
      s.getSpec().namePrefix = SnapshotName.SAFETY_PREFIX;
      cluster.create(s);
      return Progress.WAIT;
    }
    var status = safety.get().getStatus();
    SnapshotPhase phase = status == null ? null : status.phase;
    if (phase == SnapshotPhase.Succeeded) {
      phases.enter(restore, RestorePhase.Restoring, "safety snapshot " + name + " saved ("
          + status.snapshotName + "); restoring on " + restore.getStatus().plan.server);
      events.normal(restore, "SafetySnapshotSaved", restore.getStatus().message);
      pruneSafetySnapshots(restore, ns);
      return Progress.NEXT;
    }
    if (phase == SnapshotPhase.Failed) {
      phases.fail(restore, "SafetySnapshotFailed", "the safety snapshot failed, nothing was "
          + "touched: " + status.message);
      return Progress.DONE;
    }
    return Progress.WAIT;
  }

  /**
   * Keeps the {@code safetySnapshotsKept} newest safety snapshots that succeeded in
   * {@code namespace} (this restore's among them) and deletes the older ones, files too:
   * each holds all of etcd, and restores are rare.
   */
  private void pruneSafetySnapshots(EtcdRestore restore, String namespace) {
    List<EtcdSnapshot> done = new ArrayList<>(cluster.safetySnapshots(namespace).stream()
        .filter(s -> s.getStatus() != null && s.getStatus().phase == SnapshotPhase.Succeeded
            && s.getMetadata().getDeletionTimestamp() == null)
        .toList());
    done.sort(java.util.Comparator.comparing((EtcdSnapshot s) -> s.getStatus().completionTime
        == null ? "" : s.getStatus().completionTime).reversed());
    for (EtcdSnapshot old : done.subList(Math.min(safetySnapshotsKept, done.size()),
        done.size())) {
      cluster.delete(old);
      events.normal(restore, "SafetySnapshotPruned", "deleted safety snapshot "
          + old.getMetadata().getName() + " (" + safetySnapshotsKept + " newest are kept)");
    }
  }

  /** The safety snapshot's name: deterministic, so a restarted operator finds it. */
  static String safetySnapshotName(EtcdRestore restore) {
    return KubeNames.of(restore.getMetadata().getName(), "-safety");
  }

  /**
   * Restoring: one restore-agent Job per node, all created together (they wait for each other
   * through their status servers), followed to their end; the nodes' reports give the outcome.
   */
  Progress restoring(EtcdRestore restore, NodeJobs jobs) {
    EtcdRestoreStatus status = restore.getStatus();
    RestorePlan plan = status.plan;
    String tokenSecret = agentJobs.jobName(restore, "-agents");
    // the agents' port answers only this restore's agents: their token, made once
    cluster.ensureAgentToken(restore, tokenSecret);
    var call = new AgentJobs.RestoreCall(restore, RestoreId.ofUid(restore.getMetadata().getUid()),
        restore.getSpec().snapshot, RestorePlanner.layout(plan), agentPort, plan.agents,
        tokenSecret, restore.getSpec().confirmation, oldDataKept);
    Map<String, String> jobNames = jobNames(agentJobs, restore, plan);
    List<NodeRestoreStatus> nodes = new ArrayList<>();
    boolean allFinished = true;
    for (var e : jobNames.entrySet()) {
      String node = e.getKey();
      Optional<Job> job = jobs.get(agentJobs.namespace(), e.getValue());
      if (job.isEmpty()) {
        // a rerun of an agent resumes from its journal, so creating it again is safe
        jobs.create(node.equals(plan.server)
            ? agentJobs.restoreServer(call, e.getValue(), node, plan.snapshotPath, plan.sha256,
                plan.peers, plan.revisionBefore)
            : agentJobs.restorePeer(call, e.getValue(), node, plan.server));
      }
      boolean finished = job.isPresent() && JobState.finished(job.get());
      Optional<AgentResult<RestoreReport>> outcome = finished ? jobs.result(job.get(), REPORT)
          : Optional.empty();
      nodes.add(outcome.flatMap(AgentResult::value)
          .map(report -> RestoreOutcome.toStatus(report, e.getValue()))
          .orElseGet(() -> waiting(node, node.equals(plan.server), e.getValue(), outcome)));
      allFinished &= finished;
    }
    status.nodes = nodes;
    if (!allFinished) {
      return Progress.WAIT;
    }
    if (RestoreOutcome.judge(nodes, plan.server, plan.peers)
        == RestoreOutcome.Verdict.SUCCEEDED) {
      phases.show(restore, RestoreOutcome.Verdict.SUCCEEDED, "restored from "
          + plan.snapshotPath + " on " + plan.server + (plan.peers.isEmpty() ? ""
          : ", and " + String.join(", ", plan.peers) + " rejoined") + " (etcd revision "
          + plan.etcdRevision + "); the old data is kept next to it (db/etcd-old-<unix>"
          + (plan.peers.isEmpty() ? "" : "; the peers' in server/db-old-<unix>") + "; the "
          + oldDataKept + " newest of those are kept on each node)");
      return Progress.DONE;
    }
    // every Job has ended: a journal that did not reach the end failed, whatever it says
    phases.show(restore, RestoreOutcome.Verdict.FAILED, "the restore failed: "
        + RestoreOutcome.failure(nodes).orElse("a node's Job ended without finishing its "
        + "steps") + "; each node's journal (status.nodes, and kubectl logs on the Jobs "
        + String.join(", ", jobNames.values()) + ") says which steps ran; a rerun resumes from "
        + "it");
    return Progress.DONE;
  }

  /** Each node's restore Job: {@code <restore>-server}, {@code <restore>-peer-<node>}. */
  static Map<String, String> jobNames(AgentJobs agentJobs, EtcdRestore restore,
      RestorePlan plan) {
    Map<String, String> names = new LinkedHashMap<>();
    names.put(plan.server, agentJobs.jobName(restore, "-server"));
    for (String peer : plan.peers) {
      names.put(peer, agentJobs.jobName(restore, "-peer-" + peer));
    }
    return names;
  }

  /** A node whose agent has not reported its journal (yet), with its Job's failure if any. */
  private static NodeRestoreStatus waiting(String node, boolean server, String jobName,
      Optional<AgentResult<RestoreReport>> outcome) {
    NodeRestoreStatus waiting = new NodeRestoreStatus();
    waiting.node = node;
    waiting.role = (server ? RestoreRole.SERVER : RestoreRole.PEER).id();
    waiting.jobName = jobName;
    if (outcome.isPresent() && !outcome.get().ok()) {
      RestoreStepStatus failed = new RestoreStepStatus();
      failed.step = "run";
      failed.state = StepState.Failed;
      failed.message = outcome.get().message();
      waiting.steps.add(failed);
    }
    return waiting;
  }
}
