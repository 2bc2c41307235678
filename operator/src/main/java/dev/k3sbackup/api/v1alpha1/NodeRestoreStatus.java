package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** One node's part of a restore, step by step, as its agent journaled it on the node. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeRestoreStatus {

  @JsonPropertyDescription("The node.")
  public String node;

  @JsonPropertyDescription("server (resets from the snapshot) or peer (wiped, rejoins).")
  public String role;

  @JsonPropertyDescription("The node's restore Job, while it exists.")
  public String jobName;

  @JsonPropertyDescription("The steps begun so far, in order, with their state and times.")
  public List<RestoreStepStatus> steps = new ArrayList<>();
}
