package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the schedule's retention keeps and why, as of its last pass. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetentionStatus {

  @JsonPropertyDescription("The policy in words, local copies and S3 copies.")
  public String policy;

  @JsonPropertyDescription("The snapshots kept, newest first, with the rules that keep each "
      + "copy (at most 50; kubectl etcdsnapshot prune --schedule NAME --dry-run prints all).")
  public List<RetainedSnapshot> kept = new ArrayList<>();

  @JsonPropertyDescription("How many snapshots are kept in all.")
  public Integer keptCount;
}
