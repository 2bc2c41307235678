package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One of a schedule's drills, as its status shows it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DrillSummary {

  @JsonPropertyDescription("The EtcdSnapshot drilled.")
  public String snapshot;

  @JsonPropertyDescription("Passed or Failed (Pending or Running while it runs).")
  public DrillPhase phase;

  @JsonPropertyDescription("When the snapshot was taken (RFC 3339).")
  public String takenAt;

  @JsonPropertyDescription("When the drill ended (RFC 3339).")
  public String completionTime;

  @JsonPropertyDescription("The restored etcd's revision.")
  public Long revision;

  @JsonPropertyDescription("Keys read back under /registry/.")
  public Long keys;

  @JsonPropertyDescription("What happened.")
  public String message;
}
