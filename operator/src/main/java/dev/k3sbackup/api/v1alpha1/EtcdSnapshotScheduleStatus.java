package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What a schedule did and will do; rebuilt from its EtcdSnapshot children when lost. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EtcdSnapshotScheduleStatus {

  @JsonPropertyDescription("The last run's scheduled time (RFC 3339).")
  public String lastScheduleTime;

  @JsonPropertyDescription("When the last successful snapshot was taken (RFC 3339).")
  public String lastSuccessfulTime;

  @JsonPropertyDescription("The last successful EtcdSnapshot.")
  public String lastSuccessfulSnapshot;

  @JsonPropertyDescription("The newest snapshot proven restorable: taken by this schedule, "
      + "restored into a throwaway etcd and read back.")
  public DrillSummary lastRestorable;

  @JsonPropertyDescription("When the newest snapshot proven restorable passed its drill "
      + "(RFC 3339): the alert on drill.alertAfter counts from here.")
  public String lastRestorableTime;

  @JsonPropertyDescription("The schedule's newest drill, passed or not.")
  public DrillSummary lastDrill;

  @JsonPropertyDescription("What retention keeps and why.")
  public RetentionStatus retention;

  @JsonPropertyDescription("The next run (RFC 3339); empty when suspended or invalid.")
  public String nextScheduleTime;

  @JsonPropertyDescription("EtcdSnapshots of this schedule still running.")
  public List<String> active = new ArrayList<>();

  @JsonPropertyDescription("The spec generation this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Ready and Failed conditions, Kubernetes style.")
  public List<Condition> conditions = new ArrayList<>();
}
