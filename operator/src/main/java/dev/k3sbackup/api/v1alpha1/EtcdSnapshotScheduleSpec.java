package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** K3s's scheduled snapshots: --etcd-snapshot-schedule-cron, -retention, --etcd-disable-snapshots. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EtcdSnapshotScheduleSpec {

  public static final String DEFAULT_SCHEDULE = "0 */12 * * *";
  public static final int DEFAULT_RETENTION = 5;
  /** More snapshots than this is a typo, not a plan (each holds all of etcd). */
  public static final int MAX_RETENTION = 1000;

  @JsonPropertyDescription("Cron schedule, 5 fields (K3s's --etcd-snapshot-schedule-cron).")
  @Default(DEFAULT_SCHEDULE)
  @Size(max = 256)
  @ValidationRule(value = "self.split(' ').size() == 5",
      message = "schedule must have 5 fields, e.g. '0 */12 * * *'")
  public String schedule;

  @JsonPropertyDescription("IANA time zone the schedule is read in, e.g. Europe/Berlin; "
      + "default UTC.")
  public String timeZone;

  @JsonPropertyDescription("Stop taking snapshots (K3s's --etcd-disable-snapshots); existing "
      + "ones are kept.")
  public Boolean suspend;

  @JsonPropertyDescription("How many snapshots to keep, local and S3 counted separately "
      + "(K3s's --etcd-snapshot-retention). The newest successful one is never deleted.")
  @Default("5")
  @Min(1)
  @Max(MAX_RETENTION)
  public Integer retention;

  @JsonPropertyDescription("AnyOne: one etcd server node per run; Every: every etcd server "
      + "node, as K3s does.")
  @Default("AnyOne")
  public NodeSelection nodeSelection;

  @JsonPropertyDescription("RunOnce: after an operator outage, take one snapshot for the "
      + "missed runs; Skip: wait for the next run.")
  @Default("RunOnce")
  public MissedRunPolicy missedRuns;

  @JsonPropertyDescription("The snapshot each run takes (its node field is ignored).")
  public EtcdSnapshotSpec snapshotTemplate;

  public String scheduleOrDefault() {
    return schedule == null || schedule.isBlank() ? DEFAULT_SCHEDULE : schedule;
  }

  public int retentionOrDefault() {
    return retention == null ? DEFAULT_RETENTION : retention;
  }

  public boolean suspended() {
    return Boolean.TRUE.equals(suspend);
  }

  public NodeSelection nodeSelectionOrDefault() {
    return nodeSelection == null ? NodeSelection.AnyOne : nodeSelection;
  }

  public MissedRunPolicy missedRunsOrDefault() {
    return missedRuns == null ? MissedRunPolicy.RunOnce : missedRuns;
  }
}
