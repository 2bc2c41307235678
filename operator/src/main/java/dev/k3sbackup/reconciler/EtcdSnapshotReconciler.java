package dev.k3sbackup.reconciler;

import dev.k3sbackup.cluster.EtcdNodes;
import dev.k3sbackup.cluster.S3Access;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.status.StatusWriter;
import dev.k3sbackup.validation.SnapshotSpecCheck;
import dev.k3sbackup.validation.SpecProblem;
import dev.k3sbackup.jobs.JobState;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.jobs.NodeJobs;
import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.SnapshotStatuses;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.storage.S3SnapshotStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes one snapshot through a node agent Job, and deletes its file and object when the resource
 * is deleted. The phase ({@link SnapshotPhase}) says which step runs:
 *
 * <ul>
 *   <li>no Job named yet: check the spec and its Secrets, choose the node, write the node, the
 *       attempt and the Job's name into status, then create the Job (Running). A node that does
 *       not exist or holds no etcd is refused (Failed); a node that is not Ready is waited for.
 *   <li>Running: follow the Job; on success copy the agent's record into status (Succeeded); on
 *       failure retry with a doubling backoff, up to the attempt limit, then Failed. Refused
 *       input (the agent's BAD_INPUT) is not retried. A Job that outlives {@code spec.timeout}
 *       is ended by Kubernetes and said so. A node that stops being Ready is not retried on:
 *       its Job is given up after {@link #NODE_GRACE}, and the next attempt runs on another
 *       Ready etcd node when the node was the operator's choice ({@code spec.node} empty, or a
 *       schedule's run on any one node), else the snapshot fails saying why.
 *   <li>Succeeded and Failed are terminal.
 * </ul>
 *
 * <p>Every Job runs in the operator's namespace, whichever namespace the snapshot is in, and
 * the Secrets and ConfigMaps its spec names are read there.
 */
// not generation-aware: a drill is asked for by an annotation, which changes no generation
@ControllerConfiguration(name = "etcdsnapshot", finalizerName = EtcdSnapshotReconciler.FINALIZER,
    generationAwareEventProcessing = false)
public class EtcdSnapshotReconciler implements Reconciler<EtcdSnapshot>, Cleaner<EtcdSnapshot> {

  public static final String FINALIZER = "k3sbackup.dev/snapshot-files";
  private static final Logger LOG = LoggerFactory.getLogger(EtcdSnapshotReconciler.class);
  private static final Duration RECHECK = Duration.ofSeconds(30);
  /** How long a Job on a node that stopped being Ready is waited for before it is given up. */
  static final Duration NODE_GRACE = Duration.ofMinutes(2);
  private static final ResultType<SnapshotRecord> SAVED = ResultType.of(SnapshotRecord.class);
  /** A delete's result is read for its outcome only. */
  private static final ResultType<Object> DELETED = ResultType.of(Object.class);

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final NodeJobs jobs;
  private final AgentJobs agentJobs;
  private final Events events;
  private final EtcdNodes nodes;
  private final SnapshotSpecCheck specCheck;
  private final S3Access s3;
  private final SnapshotDrillStep drills;

  public EtcdSnapshotReconciler(KubernetesClient client, OperatorSettings settings) {
    this(Collaborators.of(client, settings));
  }

  public EtcdSnapshotReconciler(Collaborators with) {
    this.client = with.client();
    this.settings = with.settings();
    this.jobs = with.jobs();
    this.agentJobs = with.agentJobs();
    this.events = with.events();
    this.nodes = with.nodes();
    this.specCheck = new SnapshotSpecCheck(client, settings.allowed());
    this.s3 = with.s3();
    this.drills = new SnapshotDrillStep(with);
  }

  @Override
  public List<EventSource<?, EtcdSnapshot>> prepareEventSources(
      EventSourceContext<EtcdSnapshot> context) {
    var config = InformerEventSourceConfiguration.from(Job.class, EtcdSnapshot.class)
        .withName("agent-jobs")
        .withNamespaces(java.util.Set.of(settings.home()))
        .withFollowControllerNamespacesChanges(false)
        .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGED_BY_US + ","
            + Labels.OWNER_KIND + "=" + HasMetadata.getKind(EtcdSnapshot.class))
        .withSecondaryToPrimaryMapper(EtcdSnapshotReconciler::ownerOf)
        .build();
    return List.of(new InformerEventSource<>(config, context));
  }

  /** The resource a node agent Job works for, by its labels (Jobs run in our namespace). */
  public static java.util.Set<ResourceID> ownerOf(HasMetadata job) {
    var labels = job.getMetadata().getLabels();
    if (labels == null || labels.get(Labels.SNAPSHOT) == null) {
      return java.util.Set.of();
    }
    String ns = labels.getOrDefault(Labels.OWNER_NAMESPACE, job.getMetadata().getNamespace());
    return java.util.Set.of(new ResourceID(labels.get(Labels.SNAPSHOT), ns));
  }

  @Override
  public UpdateControl<EtcdSnapshot> reconcile(EtcdSnapshot snapshot,
      Context<EtcdSnapshot> context) {
    MDC.put("resource", snapshot.getMetadata().getNamespace() + "/"
        + snapshot.getMetadata().getName());
    try {
      if (snapshot.getStatus() == null) {
        snapshot.setStatus(new EtcdSnapshotStatus());
      }
      EtcdSnapshotStatus status = snapshot.getStatus();
      boolean saved = status.phaseOrPending() == SnapshotPhase.Succeeded
          || (adopted(snapshot) || Boolean.TRUE.equals(status.adopted))
          && status.snapshotName != null;
      if (saved && localCopyToPrune(snapshot)) {
        return pruneLocalCopy(snapshot, context);
      }
      if (saved && s3CopyToPrune(snapshot)) {
        return pruneS3Copy(snapshot, context);
      }
      if (saved && SnapshotDrillStep.wanted(snapshot)) {
        return drills.step(snapshot, context).map(after -> UpdateControl.<EtcdSnapshot>noUpdate()
            .rescheduleAfter(after.isZero() ? Duration.ofMillis(100) : after))
            .orElse(UpdateControl.noUpdate());
      }
      if (adopted(snapshot) || Boolean.TRUE.equals(status.adopted) || status.phaseOrPending().terminal()) {
        return UpdateControl.noUpdate();
      }
      if (status.jobName == null) {
        return start(snapshot, context);
      }
      return follow(snapshot, context);
    } finally {
      MDC.remove("resource");
    }
  }

  /**
   * Whether the schedule's retention asked for this snapshot's local file to go (its S3 copy
   * stays): the {@link Annotations#PRUNE_LOCAL} annotation, while status still shows the file.
   */
  private static boolean localCopyToPrune(EtcdSnapshot s) {
    var a = s.getMetadata().getAnnotations();
    return a != null && a.containsKey(Annotations.PRUNE_LOCAL)
        && s.getStatus().localPath != null && s.getStatus().node != null
        && s.getStatus().s3 != null;
  }

  /**
   * Deletes the local file through a Job on its node; once done, status no longer shows it
   * (the S3 copy is what is left, and what a restore or drill then reads).
   */
  private UpdateControl<EtcdSnapshot> pruneLocalCopy(EtcdSnapshot snapshot,
      Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    String why = snapshot.getMetadata().getAnnotations().get(Annotations.PRUNE_LOCAL);
    if (nodes.find(status.node).isEmpty()) {
      status.localPath = null; // the node went, and the file with it
      return StatusWriter.written(context, snapshot);
    }
    String jobName = agentJobs.jobName(snapshot, "-prune-local");
    Job job = jobs.get(settings.home(), jobName).orElse(null);
    if (job == null) {
      jobs.create(agentJobs.deleteLocal(snapshot, jobName, status.node, status.snapshotName));
      return UpdateControl.<EtcdSnapshot>noUpdate().rescheduleAfter(recheck());
    }
    if (!JobState.finished(job)) {
      return UpdateControl.<EtcdSnapshot>noUpdate().rescheduleAfter(recheck());
    }
    Optional<AgentResult<Object>> outcome = outcomeOf(job, DELETED);
    if (outcome.isEmpty() || !outcome.get().ok()) {
      String message = "deleting the local file " + status.localPath + " on node " + status.node
          + " (retention: " + why + ") failed: " + outcome.map(AgentResult::message)
          .orElse("no result") + "; retried at the next recheck";
      events.warning(snapshot, "LocalCopyPruneFailed", message);
      jobs.delete(job);
      return UpdateControl.<EtcdSnapshot>noUpdate().rescheduleAfter(settings.recheck());
    }
    events.normal(snapshot, "LocalCopyPruned", "deleted " + status.localPath + " on node "
        + status.node + " (retention: " + why + "); the S3 copy " + status.s3.location
        + " stays");
    status.localPath = null;
    return StatusWriter.written(context, snapshot);
  }

  /**
   * Whether the schedule's retention asked for this snapshot's S3 object to go (its local file
   * stays): the {@link Annotations#PRUNE_S3} annotation, while status still shows the object.
   */
  private static boolean s3CopyToPrune(EtcdSnapshot s) {
    var a = s.getMetadata().getAnnotations();
    return a != null && a.containsKey(Annotations.PRUNE_S3) && s.getStatus().s3 != null
        && s.getStatus().localPath != null && s.getSpec().s3 != null;
  }

  /**
   * Deletes the S3 object; once done, status no longer shows it and its Uploaded condition says
   * why (the local file is what is left, and what a restore or drill then reads).
   */
  private UpdateControl<EtcdSnapshot> pruneS3Copy(EtcdSnapshot snapshot,
      Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    String why = snapshot.getMetadata().getAnnotations().get(Annotations.PRUNE_S3);
    String location = status.s3.location;
    try (S3SnapshotStore store = s3.open(snapshot.getSpec().s3, settings.home())) {
      store.delete(status.snapshotName);
    } catch (RuntimeException e) {
      events.warning(snapshot, "S3CopyPruneFailed", "deleting the S3 copy " + location
          + " (retention: " + why + ") failed: " + e.getMessage() + "; retried at the next "
          + "recheck");
      return UpdateControl.<EtcdSnapshot>noUpdate().rescheduleAfter(settings.recheck());
    }
    Instant now = settings.clock().instant();
    status.s3 = null;
    Conditions.set(status.conditions, Conditions.UPLOADED, false, "PrunedByRetention",
        location + " deleted (retention: " + why + "); the local copy " + status.localPath
            + " on node " + status.node + " stays", snapshot.getMetadata().getGeneration(), now);
    events.normal(snapshot, "S3CopyPruned", "deleted " + location + " (retention: " + why
        + "); the local copy " + status.localPath + " on node " + status.node + " stays");
    return StatusWriter.written(context, snapshot);
  }

  /** Made by the adopter for a file found on a node: nothing to take. */
  private static boolean adopted(EtcdSnapshot s) {
    return s.getMetadata().getLabels() != null
        && "true".equals(s.getMetadata().getLabels().get(Labels.ADOPTED));
  }

  /** Pending: check, choose the node, name the Job in status, create it. */
  private UpdateControl<EtcdSnapshot> start(EtcdSnapshot snapshot,
      Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    Instant now = settings.clock().instant();
    Long generation = snapshot.getMetadata().getGeneration();
    Optional<SpecProblem> problem = specCheck.check(snapshot.getSpec(), "spec",
        settings.home());
    String wanted = snapshot.getSpec().node;
    if (problem.isEmpty() && wanted != null && !wanted.isBlank()) {
      Optional<SpecProblem> refusal = nodes.refusal(wanted, "spec.node");
      if (refusal.isPresent()) {
        return failed(snapshot, AgentResult.failure(FailureKind.BAD_INPUT,
            refusal.get().message(), null), now, false, context);
      }
    }
    Optional<String> node = problem.isEmpty() ? chooseNode(snapshot, null) : Optional.empty();
    if (problem.isEmpty() && node.isEmpty()) {
      problem = Optional.of(noNode(snapshot));
    }
    if (problem.isPresent()) {
      return waitFor(snapshot, problem.get(), now, context);
    }
    status.node = node.orElseThrow();
    status.attempts = 1;
    status.jobName = jobName(snapshot, 1);
    status.startTime = now.toString();
    status.phase = SnapshotPhase.Pending;
    status.message = "starting attempt 1 on node " + status.node;
    status.observedGeneration = generation;
    Conditions.set(status.conditions, Conditions.READY, false, "Starting", status.message,
        generation, now);
    // The names go into status before the Job exists: a restarted operator resumes, never repeats.
    StatusWriter.replaceNow(context, snapshot);
    return launch(snapshot, now, context);
  }

  private UpdateControl<EtcdSnapshot> launch(EtcdSnapshot snapshot, Instant now,
      Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    // the agent's account may patch snapshots' status in the operator's namespace only
    boolean report = settings.home().equals(snapshot.getMetadata().getNamespace())
        && client.serviceAccounts().inNamespace(settings.home())
            .withName(AgentJobs.AGENT_SERVICE_ACCOUNT).get() != null;
    Job job = agentJobs.save(snapshot, status.jobName, status.node, report,
        snapshot.getSpec().timeoutOrDefault());
    jobs.create(job);
    status.phase = SnapshotPhase.Running;
    status.message = "attempt " + status.attempts + " running on node " + status.node + " (Job "
        + status.jobName + ")";
    Conditions.set(status.conditions, Conditions.READY, false, "Running", status.message,
        snapshot.getMetadata().getGeneration(), now);
    LOG.info("snapshot {}: {}", snapshot.getMetadata().getName(), status.message);
    if (status.attempts == 1) {
      events.normal(snapshot, "SnapshotStarted", status.message);
    }
    return StatusWriter.written(context, snapshot);
  }

  /** Running: follow the Job and act on its outcome. */
  private UpdateControl<EtcdSnapshot> follow(EtcdSnapshot snapshot,
      Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    Instant now = settings.clock().instant();
    Job job = jobs.get(settings.home(), status.jobName).orElse(null);
    if (job == null) {
      // named but never created (or removed): create it now
      return launch(snapshot, now, context);
    }
    Optional<java.time.Instant> notReady = nodes.notReadySince(status.node);
    AgentResult<SnapshotRecord> outcome;
    if (!JobState.finished(job)) {
      if (notReady.isEmpty() || now.isBefore(notReady.get().plus(NODE_GRACE))) {
        return UpdateControl.<EtcdSnapshot>noUpdate().rescheduleAfter(recheck());
      }
      jobs.delete(job); // its Pod can neither finish nor be replaced there
      outcome = AgentResult.failure(FailureKind.FAILED, "node " + status.node + " has not been "
          + "Ready for " + NODE_GRACE.toMinutes() + " minutes (NotReady or gone), so its Job "
          + status.jobName + " was given up", null);
    } else if (JobState.deadlineExceeded(job)) {
      outcome = AgentResult.failure(FailureKind.FAILED, "the save did not finish within "
          + snapshot.getSpec().timeoutOrDefault().toString().substring(2).toLowerCase()
          + " (spec.timeout" + progressSoFar(status) + "): etcd answered too slowly or not at "
          + "all (K3s's own defrag, a slow disk or an overloaded etcd); Kubernetes ended the Job"
          + " " + status.jobName + "; raise spec.timeout if this etcd needs longer", null);
    } else {
      outcome = outcomeOf(job, SAVED).orElse(AgentResult.failure(
          FailureKind.FAILED, "the Job " + job.getMetadata().getName()
              + " finished without a Pod result", null));
    }
    if (outcome.ok() || outcome.kind() == FailureKind.UPLOAD_FAILED) {
      return succeeded(snapshot, outcome, now, context);
    }
    boolean retryable = !outcome.refused();
    if (!retryable || status.attempts >= settings.maxAttempts()) {
      return failed(snapshot, outcome, now, retryable, context);
    }
    if (notReady.isPresent()) {
      Optional<String> other = movable(snapshot) ? chooseNode(snapshot, status.node)
          : Optional.empty();
      if (other.isEmpty()) {
        return failed(snapshot, AgentResult.failure(FailureKind.FAILED, outcome.message()
            + "; not retried there: " + (movable(snapshot) ? "no other etcd server node is Ready"
            : "spec.node names it; create a new EtcdSnapshot on another node (or without "
            + "spec.node)"), null), now, true, context);
      }
      String message = "attempt " + status.attempts + " failed: " + outcome.message()
          + "; attempt " + (status.attempts + 1) + " runs on node " + other.get();
      events.warning(snapshot, "NodeNotReady", message);
      LOG.warn("snapshot {}: {}", snapshot.getMetadata().getName(), message);
      status.node = other.get();
      status.attempts += 1;
      status.jobName = jobName(snapshot, status.attempts);
      status.message = message;
      StatusWriter.replaceNow(context, snapshot);
      return launch(snapshot, now, context);
    }
    Duration backoff = settings.retryBackoff().multipliedBy(1L << (status.attempts - 1));
    Instant due = JobState.finishedAt(job).orElse(now).plus(backoff);
    if (now.isBefore(due)) {
      String message = "attempt " + status.attempts + " of " + settings.maxAttempts()
          + " failed: " + outcome.message() + "; retrying at " + due;
      if (!message.equals(status.message)) {
        status.message = message;
        events.warning(snapshot, "AttemptFailed", message);
        return StatusWriter.written(context, snapshot)
            .rescheduleAfter(Duration.between(now, due).plusMillis(100));
      }
      return UpdateControl.<EtcdSnapshot>noUpdate()
          .rescheduleAfter(Duration.between(now, due).plusMillis(100));
    }
    status.attempts += 1;
    status.jobName = jobName(snapshot, status.attempts);
    StatusWriter.replaceNow(context, snapshot);
    return launch(snapshot, now, context);
  }

  private UpdateControl<EtcdSnapshot> succeeded(EtcdSnapshot snapshot,
      AgentResult<SnapshotRecord> outcome, Instant now, Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    Long generation = snapshot.getMetadata().getGeneration();
    outcome.value().ifPresent(record -> SnapshotStatuses.fill(status, record,
        snapshot.getSpec().localOrDefault().layout().snapshotDir().resolve(record.name())
            .toString()));
    status.phase = SnapshotPhase.Succeeded;
    status.completionTime = now.toString();
    status.message = "saved " + status.snapshotName + " on node " + status.node + " ("
        + status.size + " bytes, sha256 " + status.sha256 + ")";
    Conditions.set(status.conditions, Conditions.READY, true, "Saved", status.message,
        generation, now);
    if (snapshot.getSpec().s3 != null) {
      boolean uploaded = outcome.ok();
      Conditions.set(status.conditions, Conditions.UPLOADED, uploaded,
          uploaded ? "Uploaded" : "UploadFailed", uploaded ? status.s3.location
              : outcome.message() + "; the local copy is kept: check the S3 settings and take "
                  + "a new snapshot", generation, now);
      if (!uploaded) {
        status.message += "; the S3 upload failed: " + outcome.message();
        events.warning(snapshot, "UploadFailed", outcome.message());
      }
    }
    events.normal(snapshot, "SnapshotSaved", status.message);
    LOG.info("snapshot {}: {}", snapshot.getMetadata().getName(), status.message);
    return StatusWriter.written(context, snapshot);
  }

  private UpdateControl<EtcdSnapshot> failed(EtcdSnapshot snapshot, AgentResult<?> outcome,
      Instant now, boolean retried, Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    status.phase = SnapshotPhase.Failed;
    status.completionTime = now.toString();
    status.message = (retried ? "failed after " + status.attempts + " attempts: "
        : "refused: ") + outcome.message() + "; fix the cause and create a new EtcdSnapshot"
        + (status.jobName == null ? "" : " (Job logs: kubectl logs -n " + settings.home()
        + " job/" + status.jobName + ")");
    Conditions.set(status.conditions, Conditions.READY, false, "SnapshotFailed", status.message,
        snapshot.getMetadata().getGeneration(), now);
    Conditions.set(status.conditions, Conditions.FAILED, true, "SnapshotFailed", status.message,
        snapshot.getMetadata().getGeneration(), now);
    events.warning(snapshot, "SnapshotFailed", status.message);
    LOG.warn("snapshot {}: {}", snapshot.getMetadata().getName(), status.message);
    return StatusWriter.written(context, snapshot);
  }

  private UpdateControl<EtcdSnapshot> waitFor(EtcdSnapshot snapshot, SpecProblem problem,
      Instant now, Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    boolean changed = !problem.message().equals(status.message);
    status.phase = SnapshotPhase.Pending;
    status.message = problem.message();
    status.observedGeneration = snapshot.getMetadata().getGeneration();
    Conditions.set(status.conditions, Conditions.READY, false, problem.reason(),
        problem.message(), status.observedGeneration, now);
    if (changed) {
      events.warning(snapshot, problem.reason(), problem.message());
    }
    return StatusWriter.written(context, snapshot).rescheduleAfter(recheck());
  }

  private Duration recheck() {
    return settings.pollEvery(RECHECK);
  }

  /**
   * The node to take the snapshot on: {@code spec.node} while it is Ready; without one, or for a
   * node-movable snapshot ({@link #movable}) once its node is not Ready, the first Ready etcd
   * node other than {@code notThere}.
   */
  private Optional<String> chooseNode(EtcdSnapshot snapshot, String notThere) {
    String wanted = snapshot.getSpec().node;
    List<String> ready = nodes.ready();
    if (notThere == null && wanted != null && !wanted.isBlank()) {
      return ready.contains(wanted) ? Optional.of(wanted) : Optional.empty();
    }
    return ready.stream().filter(n -> !n.equals(notThere)).findFirst();
  }

  /**
   * Whether the snapshot may be taken on another etcd node than the one chosen first: when the
   * operator chose it ({@code spec.node} empty) or a schedule chose it among all
   * ({@code nodeSelection: AnyOne}).
   */
  private static boolean movable(EtcdSnapshot snapshot) {
    String node = snapshot.getSpec().node;
    var labels = snapshot.getMetadata().getLabels();
    return node == null || node.isBlank()
        || labels != null && "true".equals(labels.get(Labels.ANY_NODE));
  }

  /** {@code , after X of Y bytes} from the agent's last progress report, or nothing. */
  private static String progressSoFar(EtcdSnapshotStatus status) {
    if (status.progress == null || status.progress.bytesDone == null) {
      return "";
    }
    return ", after " + status.progress.bytesDone + (status.progress.bytesTotal == null ? ""
        : " of " + status.progress.bytesTotal) + " bytes";
  }

  private SpecProblem noNode(EtcdSnapshot snapshot) {
    String wanted = snapshot.getSpec().node;
    if (wanted == null || wanted.isBlank()) {
      return new SpecProblem("NoEtcdNode", "no Ready node is labelled " + Labels.ETCD_NODE_ROLE
          + "=true: this operator needs K3s with embedded etcd (--cluster-init)");
    }
    return new SpecProblem("NodeNotReady", "spec.node: node '" + wanted + "' is not a Ready "
        + "etcd server node (label " + Labels.ETCD_NODE_ROLE + "=true); waiting for it, or create "
        + "the EtcdSnapshot with another node");
  }

  private <T> Optional<AgentResult<T>> outcomeOf(Job job, ResultType<T> type) {
    return jobs.result(job, type);
  }

  /** Deterministic per attempt, so a restarted operator finds the Job it created. */
  private String jobName(EtcdSnapshot snapshot, int attempt) {
    return agentJobs.jobName(snapshot, "-save-" + attempt);
  }

  /**
   * Deletion: the file goes through a Job on its node, the S3 object from here. A copy that is
   * already gone, a node that no longer exists, or one that does not answer within the cleanup
   * timeout, does not block deletion: it is reported as a Warning Event instead.
   */
  @Override
  public DeleteControl cleanup(EtcdSnapshot snapshot, Context<EtcdSnapshot> context) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    Instant now = settings.clock().instant();
    String deleted = snapshot.getMetadata().getDeletionTimestamp();
    boolean overdue = deleted != null && now.isAfter(Instant.parse(deleted)
        .plus(settings.cleanupTimeout()));
    boolean gone = snapshot.getMetadata().getAnnotations() != null
        && snapshot.getMetadata().getAnnotations().containsKey(Annotations.FILE_GONE);
    if (status == null || status.snapshotName == null || gone) {
      return DeleteControl.defaultDelete(); // nothing (left) to delete
    }
    if (status.s3 != null && snapshot.getSpec().s3 != null) {
      try (S3SnapshotStore store = s3.open(snapshot.getSpec().s3, settings.home())) {
        store.delete(status.snapshotName);
        status.s3 = null;
      } catch (RuntimeException e) {
        if (!overdue) {
          LOG.warn("snapshot {}: S3 delete failed, retrying: {}", snapshot.getMetadata().getName(),
              e.getMessage());
          return DeleteControl.noFinalizerRemoval().rescheduleAfter(recheck());
        }
        events.warning(snapshot, "DeleteFailed", "the S3 object " + status.s3.location
            + " could not be deleted (" + e.getMessage() + "); delete it by hand");
      }
    }
    if (status.localPath != null && status.node != null) {
      Optional<DeleteControl> waiting = deleteLocal(snapshot, overdue);
      if (waiting.isPresent()) {
        return waiting.get();
      }
    }
    return DeleteControl.defaultDelete();
  }

  private Optional<DeleteControl> deleteLocal(EtcdSnapshot snapshot, boolean overdue) {
    EtcdSnapshotStatus status = snapshot.getStatus();
    if (nodes.find(status.node).isEmpty()) {
      events.warning(snapshot, "NodeGone", "node " + status.node + " no longer exists; its file "
          + status.localPath + " went with it");
      return Optional.empty();
    }
    String jobName = agentJobs.jobName(snapshot, "-delete");
    Job job = jobs.get(settings.home(), jobName).orElse(null);
    if (job == null) {
      jobs.create(agentJobs.deleteLocal(snapshot, jobName, status.node, status.snapshotName));
      return Optional.of(DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.pollEvery(Duration.ofSeconds(5))));
    }
    if (!JobState.finished(job)) {
      if (overdue) {
        events.warning(snapshot, "DeleteFailed", "node " + status.node + " did not delete "
            + status.localPath + " in time; delete it by hand");
        return Optional.empty();
      }
      return Optional.of(DeleteControl.noFinalizerRemoval().rescheduleAfter(settings.pollEvery(Duration.ofSeconds(5))));
    }
    Optional<AgentResult<Object>> outcome = outcomeOf(job, DELETED);
    if (outcome.isEmpty() || !outcome.get().ok()) {
      events.warning(snapshot, "DeleteFailed", "deleting " + status.localPath + " on node "
          + status.node + " failed: " + outcome.map(AgentResult::message).orElse("no result")
          + "; delete it by hand");
    } else {
      events.normal(snapshot, "SnapshotDeleted", "deleted " + status.localPath + " on node "
          + status.node);
    }
    return Optional.empty();
  }
}
