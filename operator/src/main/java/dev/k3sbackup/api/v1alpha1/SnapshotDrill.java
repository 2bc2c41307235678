package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** The snapshot's last restore drill: restored into a throwaway etcd and read back. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SnapshotDrill {

  @JsonPropertyDescription("Pending, Running, Passed or Failed.")
  public DrillPhase phase;

  @JsonPropertyDescription("The value of the k3sbackup.dev/drill annotation this drill answers "
      + "('schedule' when the schedule's drill.every asked); a new value asks for a new drill.")
  public String request;

  @JsonPropertyDescription("What happened; on failure why the snapshot is not restorable, or "
      + "why the drill could not run.")
  public String message;

  @JsonPropertyDescription("The node the drill ran on.")
  public String node;

  @JsonPropertyDescription("The drill's Job.")
  public String jobName;

  @JsonPropertyDescription("Where the drill read the snapshot: the file on its node, or its S3 "
      + "copy fetched into a temporary dir.")
  public String source;

  @JsonPropertyDescription("When the drill started (RFC 3339).")
  public String startTime;

  @JsonPropertyDescription("When it passed or failed (RFC 3339).")
  public String completionTime;

  @JsonPropertyDescription("How long the Job's drill took, in seconds (check, restore, start, "
      + "read back, clean up).")
  public Double seconds;

  @JsonPropertyDescription("The restored etcd's revision, read back with a linearizable read.")
  public Long revision;

  @JsonPropertyDescription("Keys under /registry/, all types.")
  public Long keys;

  @JsonPropertyDescription("How many resource types have keys under /registry/.")
  public Integer resourceTypes;

  @JsonPropertyDescription("Keys per resource type, the most numerous first (at most 10).")
  public List<ResourceKeyCount> keyCounts = new ArrayList<>();

  public DrillPhase phaseOrPending() {
    return phase == null ? DrillPhase.Pending : phase;
  }
}
