package dev.k3sbackup.monitoring;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.validation.CronSchedule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backup metrics, read off the resources themselves (their status is the state of the
 * world), so every replica reports the same values and a restarted operator reports them at
 * once. Gauges are recomputed from the resources on each {@link #refresh}; the failure counter
 * counts the snapshots seen turning Failed while this process runs.
 *
 * <p>Names as Prometheus shows them (labels {@code namespace} and {@code schedule} unless
 * said otherwise):
 *
 * <ul>
 *   <li>{@value #LAST_SUCCESS}: completion time (unix seconds) of the schedule's newest
 *       successful snapshot; absent until it has one.
 *   <li>{@value #CREATED}: when the schedule was created (unix seconds), so a schedule that
 *       never succeeded is noticed too.
 *   <li>{@value #INTERVAL}: seconds between the schedule's current run and its next one; absent
 *       while suspended or invalid.
 *   <li>{@value #DURATION}, {@value #SIZE}: how long the newest successful snapshot took (first
 *       attempt's start to completion) and its size.
 *   <li>{@value #LAST_DRILL}: when the schedule's newest snapshot proven restorable passed its
 *       restore drill (unix seconds); absent until one has. {@value #DRILL_MAX_AGE}: the
 *       schedule's {@code drill.alertAfter} in seconds, present when it drills; the alert rule
 *       compares the two.
 *   <li>{@value #SUSPENDED}, {@value #READY}: 1 when suspended / when its Ready condition is True.
 *   <li>{@value #FAILURES}: counter of snapshots seen turning Failed; {@code schedule} is empty
 *       for one-off snapshots.
 *   <li>{@value #RESTORE_PHASE} (labels {@code namespace}, {@code restore}, {@code phase}): 1
 *       for each restore's current phase, 0 for the others.
 *   <li>{@value #LEADER}: 1 on the replica that acts (the leader), 0 on a standby.
 *   <li>{@value #MISSING} (labels {@code namespace}, {@code schedule}): how many Succeeded
 *       snapshots the node scans found with their file or S3 object gone (condition
 *       {@code Available} False); {@code schedule} is empty for one-off snapshots.
 * </ul>
 */
public final class BackupMetrics {

  static final String LAST_SUCCESS = "k3s_etcd_backup_schedule_last_success_timestamp_seconds";
  static final String CREATED = "k3s_etcd_backup_schedule_created_timestamp_seconds";
  static final String INTERVAL = "k3s_etcd_backup_schedule_interval_seconds";
  static final String DURATION = "k3s_etcd_backup_schedule_last_snapshot_duration_seconds";
  static final String SIZE = "k3s_etcd_backup_schedule_last_snapshot_size_bytes";
  static final String SUSPENDED = "k3s_etcd_backup_schedule_suspended";
  static final String READY = "k3s_etcd_backup_schedule_ready";
  static final String LAST_DRILL = "k3s_etcd_backup_schedule_last_drill_success_timestamp_seconds";
  static final String DRILL_MAX_AGE = "k3s_etcd_backup_schedule_drill_max_age_seconds";
  static final String FAILURES = "k3s_etcd_backup_snapshot_failures_total";
  static final String RESTORE_PHASE = "k3s_etcd_backup_restore_phase";
  static final String LEADER = "k3s_etcd_backup_leader";
  static final String MISSING = "k3s_etcd_backup_snapshots_missing";

  private final MeterRegistry registry;
  private final MultiGauge lastSuccess;
  private final MultiGauge lastDrill;
  private final MultiGauge drillMaxAge;
  private final MultiGauge created;
  private final MultiGauge interval;
  private final MultiGauge duration;
  private final MultiGauge size;
  private final MultiGauge suspended;
  private final MultiGauge ready;
  private final MultiGauge restorePhase;
  private final MultiGauge missing;
  private final Map<Tags, Counter> failures = new ConcurrentHashMap<>();
  private volatile boolean leader;

  public BackupMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.lastSuccess = gauge(LAST_SUCCESS, "When the schedule's newest successful snapshot "
        + "completed (unix seconds)");
    this.lastDrill = gauge(LAST_DRILL, "When the schedule's newest snapshot proven restorable "
        + "passed its drill (unix seconds; status.lastRestorableTime)");
    this.drillMaxAge = gauge(DRILL_MAX_AGE, "How long the schedule may go without a passed "
        + "drill (spec.drill.alertAfter, seconds); absent without spec.drill");
    this.created = gauge(CREATED, "When the schedule was created (unix seconds)");
    this.interval = gauge(INTERVAL, "Seconds between the schedule's current and next run");
    this.duration = gauge(DURATION, "How long the newest successful snapshot took (seconds)");
    this.size = gauge(SIZE, "Size of the newest successful snapshot (bytes)");
    this.suspended = gauge(SUSPENDED, "1 when the schedule is suspended (spec.suspend)");
    this.ready = gauge(READY, "1 when the schedule's Ready condition is True");
    this.restorePhase = gauge(RESTORE_PHASE, "1 for the restore's current phase, 0 otherwise");
    this.missing = gauge(MISSING, "Succeeded snapshots whose file or S3 object is gone");
    io.micrometer.core.instrument.Gauge.builder(LEADER, this, m -> m.leader ? 1 : 0)
        .description("1 on the replica that acts (the leader), 0 on a standby")
        .register(registry);
  }

  private MultiGauge gauge(String name, String help) {
    return MultiGauge.builder(name).description(help).register(registry);
  }

  /** Whether this replica is the one that acts. */
  public void leader(boolean isLeader) {
    this.leader = isLeader;
  }

  public boolean isLeader() {
    return leader;
  }

  /** Counts a snapshot seen turning Failed. */
  public void snapshotFailed(EtcdSnapshot snapshot) {
    failureCounter(snapshot.getMetadata().getNamespace(), scheduleOf(snapshot)).increment();
  }

  /** Makes a schedule's failure counter exist (at 0) before its first failure. */
  public void scheduleSeen(EtcdSnapshotSchedule schedule) {
    failureCounter(schedule.getMetadata().getNamespace(), schedule.getMetadata().getName());
  }

  /** Drops a deleted schedule's counter. */
  public void scheduleGone(EtcdSnapshotSchedule schedule) {
    Counter c = failures.remove(scheduleTags(schedule.getMetadata().getNamespace(),
        schedule.getMetadata().getName()));
    if (c != null) {
      registry.remove(c);
    }
  }

  private Counter failureCounter(String namespace, String schedule) {
    // Micrometer adds the _total suffix itself
    return failures.computeIfAbsent(scheduleTags(namespace, schedule), tags ->
        Counter.builder(FAILURES.substring(0, FAILURES.length() - "_total".length()))
            .description("Snapshots seen turning Failed (after their last attempt)")
            .tags(tags).register(registry));
  }

  private static Tags scheduleTags(String namespace, String schedule) {
    return Tags.of("namespace", namespace, "schedule", schedule == null ? "" : schedule);
  }

  private static String scheduleOf(EtcdSnapshot s) {
    Map<String, String> labels = s.getMetadata().getLabels();
    return labels == null ? "" : labels.getOrDefault(
        Labels.SCHEDULE, "");
  }

  /** Recomputes every gauge from the resources as they are now. */
  public synchronized void refresh(Collection<EtcdSnapshotSchedule> schedules,
      Collection<EtcdSnapshot> snapshots, Collection<EtcdRestore> restores, Instant now) {
    Map<Tags, EtcdSnapshot> newest = new HashMap<>();
    Map<Tags, Integer> gone = new HashMap<>();
    for (EtcdSnapshot s : snapshots) {
      Tags owner = scheduleTags(s.getMetadata().getNamespace(), scheduleOf(s));
      gone.merge(owner, isMissing(s) ? 1 : 0, Integer::sum);
      String schedule = scheduleOf(s);
      if (schedule.isEmpty() || s.getStatus() == null
          || s.getStatus().phase != SnapshotPhase.Succeeded
          || instant(s.getStatus().completionTime).isEmpty()) {
        continue;
      }
      newest.merge(scheduleTags(s.getMetadata().getNamespace(), schedule), s,
          (a, b) -> COMPLETED.compare(a, b) >= 0 ? a : b);
    }
    List<MultiGauge.Row<?>> lastRows = new ArrayList<>();
    List<MultiGauge.Row<?>> createdRows = new ArrayList<>();
    List<MultiGauge.Row<?>> intervalRows = new ArrayList<>();
    List<MultiGauge.Row<?>> durationRows = new ArrayList<>();
    List<MultiGauge.Row<?>> sizeRows = new ArrayList<>();
    List<MultiGauge.Row<?>> suspendedRows = new ArrayList<>();
    List<MultiGauge.Row<?>> readyRows = new ArrayList<>();
    List<MultiGauge.Row<?>> drillRows = new ArrayList<>();
    List<MultiGauge.Row<?>> drillAgeRows = new ArrayList<>();
    for (EtcdSnapshotSchedule schedule : schedules) {
      Tags tags = scheduleTags(schedule.getMetadata().getNamespace(),
          schedule.getMetadata().getName());
      scheduleSeen(schedule);
      instant(schedule.getMetadata().getCreationTimestamp())
          .ifPresent(t -> createdRows.add(MultiGauge.Row.of(tags, seconds(t))));
      boolean isSuspended = schedule.getSpec() != null && schedule.getSpec().suspended();
      suspendedRows.add(MultiGauge.Row.of(tags, isSuspended ? 1 : 0));
      readyRows.add(MultiGauge.Row.of(tags, isReady(schedule) ? 1 : 0));
      if (!isSuspended && schedule.getSpec() != null) {
        intervalOf(schedule, now).ifPresent(d ->
            intervalRows.add(MultiGauge.Row.of(tags, d.toSeconds())));
      }
      if (schedule.getSpec() != null && schedule.getSpec().drill != null) {
        try {
          drillAgeRows.add(MultiGauge.Row.of(tags,
              schedule.getSpec().drill.alertAfterOrDefault().toSeconds()));
        } catch (RuntimeException e) {
          // refused in the schedule's Ready condition; no threshold to show
        }
      }
      if (schedule.getStatus() != null) {
        instant(schedule.getStatus().lastRestorableTime)
            .ifPresent(t -> drillRows.add(MultiGauge.Row.of(tags, seconds(t))));
      }
      EtcdSnapshot last = newest.get(tags);
      if (last != null) {
        Instant done = instant(last.getStatus().completionTime).orElseThrow();
        lastRows.add(MultiGauge.Row.of(tags, seconds(done)));
        instant(last.getStatus().startTime).ifPresent(start ->
            durationRows.add(MultiGauge.Row.of(tags,
                Duration.between(start, done).toNanos() / 1e9)));
        if (last.getStatus().size != null) {
          sizeRows.add(MultiGauge.Row.of(tags, last.getStatus().size));
        }
      }
    }
    lastSuccess.register(lastRows, true);
    created.register(createdRows, true);
    interval.register(intervalRows, true);
    duration.register(durationRows, true);
    size.register(sizeRows, true);
    suspended.register(suspendedRows, true);
    ready.register(readyRows, true);
    lastDrill.register(drillRows, true);
    drillMaxAge.register(drillAgeRows, true);

    List<MultiGauge.Row<?>> phaseRows = new ArrayList<>();
    for (EtcdRestore restore : restores) {
      RestorePhase current = restore.getStatus() == null ? RestorePhase.Pending
          : restore.getStatus().phaseOrPending();
      for (RestorePhase phase : RestorePhase.values()) {
        phaseRows.add(MultiGauge.Row.of(Tags.of("namespace",
            restore.getMetadata().getNamespace(), "restore", restore.getMetadata().getName(),
            "phase", phase.name()), phase == current ? 1 : 0));
      }
    }
    restorePhase.register(phaseRows, true);
    List<MultiGauge.Row<?>> missingRows = new ArrayList<>();
    gone.forEach((tags, n) -> missingRows.add(MultiGauge.Row.of(tags, n)));
    missing.register(missingRows, true);
  }

  private static boolean isMissing(EtcdSnapshot s) {
    return s.getStatus() != null && s.getStatus().conditions.stream().anyMatch(c ->
        "Available".equals(c.getType()) && "False".equals(c.getStatus()));
  }

  private static final Comparator<EtcdSnapshot> COMPLETED = Comparator.comparing(
      s -> instant(s.getStatus().completionTime).orElse(Instant.EPOCH));

  private static boolean isReady(EtcdSnapshotSchedule schedule) {
    return schedule.getStatus() != null && schedule.getStatus().conditions.stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** The gap between the run at or before {@code now} and the next one. */
  static Optional<Duration> intervalOf(EtcdSnapshotSchedule schedule, Instant now) {
    CronSchedule.Result parsed = CronSchedule.parse(schedule.getSpec().scheduleOrDefault(),
        schedule.getSpec().timeZone, now);
    if (parsed.schedule() == null) {
      return Optional.empty();
    }
    Optional<Instant> next = parsed.schedule().nextAfter(now);
    Optional<Instant> previous = parsed.schedule().latestAtOrBefore(now);
    if (next.isEmpty()) {
      return Optional.empty();
    }
    if (previous.isEmpty()) {
      // no run before now: the gap after the next one
      return parsed.schedule().nextAfter(next.get()).map(n -> Duration.between(next.get(), n));
    }
    return Optional.of(Duration.between(previous.get(), next.get()));
  }

  private static double seconds(Instant t) {
    return t.toEpochMilli() / 1000.0;
  }

  private static Optional<Instant> instant(String rfc3339) {
    if (rfc3339 == null || rfc3339.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(rfc3339));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
