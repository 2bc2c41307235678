package dev.k3sbackup.reconciler;

import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.cluster.EtcdNodes;
import dev.k3sbackup.cluster.LeanItemStore;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.StatusWriter;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.validation.SnapshotSpecCheck;
import dev.k3sbackup.validation.SpecProblem;
import dev.k3sbackup.validation.CronSchedule;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.MissedRunPolicy;
import dev.k3sbackup.api.v1alpha1.NodeSelection;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.base.K3sSnapshotSchedule;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.cluster.K3sSchedules;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Creates {@code EtcdSnapshot} children on a cron schedule, as a CronJob creates Jobs, and prunes
 * them to retention. Its state is rebuilt from the children on every pass: each child carries
 * the schedule's name and its scheduled time as labels and has a name derived from that time, so
 * a restarted operator can never take the same run twice.
 */
@ControllerConfiguration(name = "etcdsnapshotschedule")
public class EtcdSnapshotScheduleReconciler implements Reconciler<EtcdSnapshotSchedule> {

  /**
   * Our prefix for scheduled snapshots, used when the template names none: never one K3s's own
   * retention matches.
   */
  static final String SCHEDULED_PREFIX = SnapshotName.SCHEDULED_PREFIX;
  /** A schedule that fires more often than this gets a Warning condition (it is allowed). */
  static final Duration FREQUENT = Duration.ofMinutes(5);
  private static final Logger LOG = LoggerFactory.getLogger(EtcdSnapshotScheduleReconciler.class);
  private static final Duration RECHECK = Duration.ofSeconds(30);
  /** A run this late still counts as on time, whatever the missed-runs policy. */
  private static final Duration ON_TIME = Duration.ofMinutes(2);

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final Events events;
  private final EtcdNodes nodes;
  private final SnapshotSpecCheck specCheck;
  private final SchedulePruner pruner;
  private final K3sSchedules k3s;

  public EtcdSnapshotScheduleReconciler(KubernetesClient client, OperatorSettings settings) {
    this(Collaborators.of(client, settings));
  }

  public EtcdSnapshotScheduleReconciler(Collaborators with) {
    this.client = with.client();
    this.settings = with.settings();
    this.events = with.events();
    this.nodes = with.nodes();
    this.specCheck = new SnapshotSpecCheck(client, settings.allowed());
    this.pruner = new SchedulePruner(client, events, with.clock());
    this.k3s = with.k3s();
  }

  @Override
  public List<EventSource<?, EtcdSnapshotSchedule>> prepareEventSources(
      EventSourceContext<EtcdSnapshotSchedule> context) {
    var config = InformerEventSourceConfiguration.from(EtcdSnapshot.class,
            EtcdSnapshotSchedule.class)
        .withName("schedule-children")
        .withLabelSelector(Labels.SCHEDULE)
        .withItemStore(new LeanItemStore<>())
        .withInformerListLimit(LeanItemStore.LIST_PAGE)
        .withSecondaryToPrimaryMapper(Mappers.fromLabel(Labels.SCHEDULE, "k3sbackup.dev/none",
            EtcdSnapshotSchedule.class))
        .build();
    return List.of(new InformerEventSource<>(config, context));
  }

  @Override
  public UpdateControl<EtcdSnapshotSchedule> reconcile(EtcdSnapshotSchedule schedule,
      Context<EtcdSnapshotSchedule> context) {
    MDC.put("resource", schedule.getMetadata().getNamespace() + "/"
        + schedule.getMetadata().getName());
    try {
      if (schedule.getStatus() == null) {
        schedule.setStatus(new EtcdSnapshotScheduleStatus());
      }
      return reconcile(schedule, children(schedule, context), context);
    } finally {
      MDC.remove("resource");
    }
  }

  private UpdateControl<EtcdSnapshotSchedule> reconcile(EtcdSnapshotSchedule schedule,
      List<EtcdSnapshot> children, Context<EtcdSnapshotSchedule> context) {
    EtcdSnapshotScheduleSpec spec = schedule.getSpec();
    EtcdSnapshotScheduleStatus status = schedule.getStatus();
    Instant now = settings.clock().instant();
    Long generation = schedule.getMetadata().getGeneration();
    status.observedGeneration = generation;

    CronSchedule.Result parsed = CronSchedule.parse(spec.scheduleOrDefault(), spec.timeZone, now);
    Optional<SpecProblem> problem = Optional.ofNullable(parsed.problem());
    if (problem.isEmpty()) {
      problem = retentionProblem(spec);
    }
    if (problem.isEmpty()) {
      problem = specCheck.check(spec.snapshotTemplate == null ? new EtcdSnapshotSpec()
          : spec.snapshotTemplate, "spec.snapshotTemplate", settings.home());
    }
    summarize(status, children);
    showK3sSnapshots(schedule, now);
    if (problem.isPresent()) {
      return refuse(schedule, problem.get(), now, context);
    }
    CronSchedule cron = parsed.schedule();
    warnIfFrequent(schedule, cron, now);
    pruner.prune(schedule, children);
    ScheduleDrills.pick(spec, children).ifPresent(c -> askForDrill(schedule, c));

    if (spec.suspended()) {
      status.nextScheduleTime = null;
      Conditions.set(status.conditions, Conditions.READY, true, "Suspended",
          "suspended: no new snapshots are taken (spec.suspend)", generation, now);
      return StatusWriter.written(context, schedule).rescheduleAfter(settings.recheck());
    }
    Instant last = lastScheduled(schedule, children);
    if (!children.isEmpty() || status.lastScheduleTime != null) {
      status.lastScheduleTime = last.toString(); // rebuilt from the children every time
    }
    Optional<Instant> due = cron.latestAtOrBefore(now).filter(t -> t.isAfter(last));
    LOG.debug("schedule {}: now {}, last run {}, due {}, {} children",
        schedule.getMetadata().getName(), now, last, due.orElse(null), children.size());
    if (due.isPresent()) {
      Optional<SpecProblem> runProblem = run(schedule, cron, children, last, due.get(), now);
      if (runProblem.isPresent()) {
        return refuse(schedule, runProblem.get(), now, context);
      }
    }
    Instant next = cron.nextAfter(now).orElseThrow();
    status.nextScheduleTime = next.toString();
    Conditions.set(status.conditions, Conditions.READY, true, "Scheduled",
        "next snapshot at " + next, generation, now);
    Duration wait = Duration.between(now, next);
    return StatusWriter.written(context, schedule).rescheduleAfter(settings.pollEvery(
        wait.plusSeconds(1)));
  }

  /**
   * What the API server's schema refuses, refused again where none enforces it: a retention
   * below 1, a bad maxAge or drill.alertAfter.
   */
  static Optional<SpecProblem> retentionProblem(EtcdSnapshotScheduleSpec spec) {
    if (spec.retentionOrDefault() < 1) {
      return Optional.of(new SpecProblem("InvalidRetention", "spec.retention "
          + spec.retention + " would delete every snapshot: give 1 or more (K3s's default is 5)"));
    }
    try {
      spec.maxAgeOrNull();
    } catch (dev.k3sbackup.base.SnapshotException e) {
      return Optional.of(new SpecProblem("InvalidMaxAge", e.getMessage()));
    }
    if (spec.drill != null) {
      try {
        spec.drill.alertAfterOrDefault();
      } catch (dev.k3sbackup.base.SnapshotException e) {
        return Optional.of(new SpecProblem("InvalidDrill", e.getMessage()));
      }
    }
    return Optional.empty();
  }

  /** The prefix this schedule's snapshots are named with. */
  private static String prefixOf(EtcdSnapshotSchedule schedule) {
    EtcdSnapshotSpec t = schedule.getSpec().snapshotTemplate;
    return t == null || t.namePrefix == null || t.namePrefix.isBlank() ? SCHEDULED_PREFIX
        : t.namePrefix;
  }

  /** The K3sSnapshots condition: whether K3s takes its own snapshots beside, and the advice. */
  private void showK3sSnapshots(EtcdSnapshotSchedule schedule, Instant now) {
    Map<String, Optional<K3sSnapshotSchedule>> byNode = new java.util.TreeMap<>();
    for (var node : nodes.all()) {
      byNode.put(node.getMetadata().getName(), k3s.of(node));
    }
    K3sSnapshotsCondition c = K3sSnapshotsCondition.of(byNode, prefixOf(schedule));
    var conditions = schedule.getStatus().conditions;
    boolean changed = Conditions.find(conditions, Conditions.K3S_SNAPSHOTS)
        .map(old -> !c.reason().equals(old.getReason())).orElse(true);
    Long generation = schedule.getMetadata().getGeneration();
    if ("Unknown".equals(c.status())) {
      Conditions.setUnknown(conditions, Conditions.K3S_SNAPSHOTS, c.reason(), c.message(),
          generation, now);
    } else {
      Conditions.set(conditions, Conditions.K3S_SNAPSHOTS, "True".equals(c.status()),
          c.reason(), c.message(), generation, now);
    }
    if (changed && c.reason().equals(K3sSnapshotsCondition.COLLIDES)) {
      events.warning(schedule, c.reason(), c.message());
    } else if (changed && c.reason().equals(K3sSnapshotsCondition.ON)) {
      events.normal(schedule, c.reason(), c.message());
    }
  }

  /** A Warning condition while the schedule fires more often than every 5 minutes. */
  private void warnIfFrequent(EtcdSnapshotSchedule schedule, CronSchedule cron, Instant now) {
    Duration shortest = null;
    Instant t = now;
    for (int i = 0; i < 12; i++) {
      Optional<Instant> next = cron.nextAfter(t);
      if (next.isEmpty()) {
        break;
      }
      if (i > 0) {
        Duration gap = Duration.between(t, next.get());
        shortest = shortest == null || gap.compareTo(shortest) < 0 ? gap : shortest;
      }
      t = next.get();
    }
    var conditions = schedule.getStatus().conditions;
    if (shortest == null || shortest.compareTo(FREQUENT) >= 0) {
      Conditions.remove(conditions, Conditions.WARNING);
      return;
    }
    String message = "spec.schedule '" + schedule.getSpec().scheduleOrDefault() + "' fires every "
        + shortest.toMinutes() + " minute(s): each run streams all of etcd to disk (and S3) and "
        + "keeps it until retention prunes it; allowed, but check it is meant (K3s's default is '"
        + EtcdSnapshotScheduleSpec.DEFAULT_SCHEDULE + "')";
    boolean changed = Conditions.find(conditions, Conditions.WARNING)
        .map(c -> !message.equals(c.getMessage())).orElse(true);
    Conditions.set(conditions, Conditions.WARNING, true, "FrequentSchedule", message,
        schedule.getMetadata().getGeneration(), now);
    if (changed) {
      events.warning(schedule, "FrequentSchedule", message);
    }
  }

  /** Takes the run due at {@code due}, unless the policy or a running snapshot says no. */
  private Optional<SpecProblem> run(EtcdSnapshotSchedule schedule, CronSchedule cron,
      List<EtcdSnapshot> children, Instant last, Instant due, Instant now) {
    EtcdSnapshotScheduleStatus status = schedule.getStatus();
    boolean late = Duration.between(due, now).compareTo(ON_TIME) > 0;
    if (late && schedule.getSpec().missedRunsOrDefault() == MissedRunPolicy.Skip) {
      status.lastScheduleTime = due.toString();
      events.normal(schedule, "MissedRunSkipped", "the run at " + due + " was missed (operator "
          + "not running) and is skipped (spec.missedRuns: Skip)");
      return Optional.empty();
    }
    if (!status.active.isEmpty()) {
      status.lastScheduleTime = due.toString();
      events.warning(schedule, "RunSkipped", "the run at " + due + " is skipped: "
          + String.join(", ", status.active) + " is still running (never two at once)");
      return Optional.empty();
    }
    List<String> ready = nodes.ready();
    if (ready.isEmpty()) {
      return Optional.of(new SpecProblem("NoEtcdNode", "no Ready node is labelled "
          + Labels.ETCD_NODE_ROLE + "=true: the run at " + due + " waits for one"));
    }
    long minute = due.getEpochSecond() / 60;
    List<String> targets = schedule.getSpec().nodeSelectionOrDefault() == NodeSelection.Every
        ? ready : List.of(ready.get((int) (children.size() % ready.size())));
    boolean every = schedule.getSpec().nodeSelectionOrDefault() == NodeSelection.Every;
    for (String node : targets) {
      create(schedule, due, minute, node, targets.size() > 1, !every);
    }
    status.lastScheduleTime = due.toString();
    if (late) {
      events.normal(schedule, "MissedRunTaken", "took one snapshot for the run(s) missed since "
          + last + " (spec.missedRuns: RunOnce)");
    }
    return Optional.empty();
  }

  private void create(EtcdSnapshotSchedule schedule, Instant due, long minute, String node,
      boolean perNode, boolean anyNode) {
    String name = childName(schedule.getMetadata().getName(), minute, perNode ? node : null);
    EtcdSnapshotSpec spec = schedule.getSpec().snapshotTemplate == null ? new EtcdSnapshotSpec()
        : Serialization.clone(schedule.getSpec().snapshotTemplate);
    spec.node = node;
    if (spec.namePrefix == null || spec.namePrefix.isBlank()) {
      spec.namePrefix = SCHEDULED_PREFIX;
    }
    EtcdSnapshot child = new EtcdSnapshot();
    child.getMetadata().setName(name);
    child.getMetadata().setNamespace(schedule.getMetadata().getNamespace());
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    labels.put(Labels.SCHEDULE, schedule.getMetadata().getName());
    labels.put(Labels.SCHEDULED_MINUTE, Long.toString(minute));
    if (anyNode) {
      labels.put(Labels.ANY_NODE, "true"); // another Ready etcd node may take it
    }
    child.getMetadata().setLabels(labels);
    child.getMetadata().setAnnotations(Map.of(Annotations.SCHEDULED_TIME, due.toString()));
    child.addOwnerReference(schedule);
    child.setSpec(spec);
    try {
      client.resource(child).create();
      LOG.info("schedule {}: created {} for the run at {} on node {}",
          schedule.getMetadata().getName(), name, due, node);
      events.normal(schedule, "SnapshotCreated", "created EtcdSnapshot " + name + " for the run "
          + "at " + due + " on node " + node);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      LOG.info("schedule {}: {} exists already, the run at {} was taken before",
          schedule.getMetadata().getName(), name, due);
    }
  }

  /**
   * {@code <schedule>-<epoch minutes>[-<node>]}: one name per run (and node), whoever creates
   * it; cut to 63 characters with a hash of the whole when longer ({@link KubeNames}), so that
   * no two runs share a name and the name fits the label values it becomes.
   */
  static String childName(String schedule, long minute, String node) {
    return node == null ? KubeNames.of(schedule, "-" + minute)
        : KubeNames.of(schedule + "-" + minute + "-" + node);
  }

  /** The latest run already taken, from the children (the state of the world), else status. */
  private static Instant lastScheduled(EtcdSnapshotSchedule schedule, List<EtcdSnapshot> children) {
    Instant last = Optional.ofNullable(schedule.getMetadata().getCreationTimestamp())
        .map(Instant::parse).orElse(Instant.EPOCH);
    if (schedule.getStatus().lastScheduleTime != null) {
      last = max(last, Instant.parse(schedule.getStatus().lastScheduleTime));
    }
    for (EtcdSnapshot child : children) {
      String minute = child.getMetadata().getLabels().get(Labels.SCHEDULED_MINUTE);
      if (minute != null) {
        last = max(last, Instant.ofEpochSecond(Long.parseLong(minute) * 60));
      }
    }
    return last;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** Active children and the last success, from the children themselves. */
  private static void summarize(EtcdSnapshotScheduleStatus status, List<EtcdSnapshot> children) {
    status.active = children.stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
        .filter(c -> c.getStatus() == null || !c.getStatus().phaseOrPending().terminal())
        .map(c -> c.getMetadata().getName()).sorted().collect(Collectors.toList());
    children.stream()
        .filter(c -> c.getStatus() != null && c.getStatus().phase == SnapshotPhase.Succeeded)
        .max(Comparator.comparing(SchedulePruner::scheduledMinute))
        .ifPresent(c -> {
          status.lastSuccessfulSnapshot = c.getMetadata().getName();
          status.lastSuccessfulTime = c.getStatus().completionTime;
        });
    ScheduleDrills.summarize(status, children);
  }

  /** Sets the drill annotation on {@code child}, as {@code drill.every} asks. */
  private void askForDrill(EtcdSnapshotSchedule schedule, EtcdSnapshot child) {
    if (SchedulePruner.annotateOnce(client, child, Annotations.DRILL,
        Annotations.DRILL_BY_SCHEDULE)) {
      LOG.info("schedule {}: drilling {} (drill.every {})", schedule.getMetadata().getName(),
          child.getMetadata().getName(), schedule.getSpec().drill.everyOrDefault());
    }
  }

  private UpdateControl<EtcdSnapshotSchedule> refuse(EtcdSnapshotSchedule schedule,
      SpecProblem problem, Instant now, Context<EtcdSnapshotSchedule> context) {
    EtcdSnapshotScheduleStatus status = schedule.getStatus();
    boolean changed = Conditions.find(status.conditions, Conditions.READY)
        .map(c -> !problem.message().equals(c.getMessage())).orElse(true);
    status.nextScheduleTime = null;
    Conditions.set(status.conditions, Conditions.READY, false, problem.reason(),
        problem.message(), schedule.getMetadata().getGeneration(), now);
    if (changed) {
      events.warning(schedule, problem.reason(), problem.message());
      LOG.warn("schedule {}: {}", schedule.getMetadata().getName(), problem.message());
    }
    return StatusWriter.written(context, schedule).rescheduleAfter(settings.pollEvery(RECHECK));
  }

  private List<EtcdSnapshot> children(EtcdSnapshotSchedule schedule,
      Context<EtcdSnapshotSchedule> context) {
    Set<String> seen = new HashSet<>();
    List<EtcdSnapshot> children = new ArrayList<>();
    for (EtcdSnapshot s : context.getSecondaryResources(EtcdSnapshot.class)) {
      if (schedule.getMetadata().getName().equals(s.getMetadata().getLabels().get(Labels.SCHEDULE))
          && seen.add(s.getMetadata().getName())) {
        children.add(s);
      }
    }
    return children;
  }
}
