package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import dev.k3sbackup.base.Age;

/**
 * K3s's scheduled snapshots (--etcd-snapshot-schedule-cron, -retention, --etcd-disable-snapshots),
 * with retention policies beyond K3s's count and restore drills.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.s3Retention) || has(self.snapshotTemplate) "
    + "&& has(self.snapshotTemplate.s3)", message = "s3Retention counts the S3 copies: set "
    + "snapshotTemplate.s3 too, or leave s3Retention out")
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

  @JsonPropertyDescription("How many of the newest snapshots to keep, local copies counted "
      + "per node, S3 copies per folder, separately (K3s's --etcd-snapshot-retention); "
      + "s3Retention, when set, counts S3 instead. A snapshot stays while any rule keeps it "
      + "(this count, keepHourly/Daily/Weekly/Monthly, the k3sbackup.dev/keep annotation, the "
      + "newest that passed a drill); the newest successful one is never deleted.")
  @Default("5")
  @Min(1)
  @Max(MAX_RETENTION)
  public Integer retention;

  @JsonPropertyDescription("How many of the newest S3 copies to keep (K3s's "
      + "--etcd-s3-retention, which K3s's users asked to count apart from the local files); "
      + "default: retention. A local file beyond retention whose S3 copy is kept goes alone.")
  @Min(1)
  @Max(MAX_RETENTION)
  public Integer s3Retention;

  @JsonPropertyDescription("The newest-N count (retention, s3Retention) keeps no snapshot older "
      + "than this (weeks, days, hours, minutes: 30d, 2w, 36h); the hourly to monthly rules and "
      + "pinned snapshots still keep theirs. By the time in the snapshot's name.")
  @Pattern(Age.PATTERN)
  @Size(max = 32)
  @ValidationRule(value = "self.matches('[1-9]')", message = "maxAge must be longer than 0, "
      + "such as 30d, 2w or 36h (weeks, days, hours, minutes): 0 would delete every snapshot "
      + "but the newest")
  public String maxAge;

  @JsonPropertyDescription("Keep the newest snapshot of each of the N newest hours that have "
      + "one, in timeZone (grandfather-father-son). 0 or unset: none.")
  @Min(0)
  @Max(MAX_RETENTION)
  public Integer keepHourly;

  @JsonPropertyDescription("Keep the newest snapshot of each of the N newest days that have "
      + "one, in timeZone. 0 or unset: none.")
  @Min(0)
  @Max(MAX_RETENTION)
  public Integer keepDaily;

  @JsonPropertyDescription("Keep the newest snapshot of each of the N newest ISO weeks (Monday "
      + "to Sunday) that have one, in timeZone. 0 or unset: none.")
  @Min(0)
  @Max(MAX_RETENTION)
  public Integer keepWeekly;

  @JsonPropertyDescription("Keep the newest snapshot of each of the N newest months that have "
      + "one, in timeZone. 0 or unset: none.")
  @Min(0)
  @Max(MAX_RETENTION)
  public Integer keepMonthly;

  @JsonPropertyDescription("Restore drills: every Nth successful snapshot is restored into a "
      + "throwaway etcd and read back; status shows the newest proven restorable.")
  public DrillPolicy drill;

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

  public int s3RetentionOrDefault() {
    return s3Retention == null ? retentionOrDefault() : s3Retention;
  }

  /** {@link #maxAge}, or null when not set; refused naming the field when it is no age. */
  public java.time.Duration maxAgeOrNull() {
    return maxAge == null || maxAge.isBlank() ? null
        : dev.k3sbackup.base.Age.parse("spec.maxAge", maxAge);
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
