package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One step of a node's restore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestoreStepStatus {

  @JsonPropertyDescription("The step: verify, stop, reset, start, ... (see status.plan.steps).")
  public String step;

  @JsonPropertyDescription("Running, Done or Failed.")
  public StepState state;

  @JsonPropertyDescription("When it began (RFC 3339).")
  public String started;

  @JsonPropertyDescription("When it ended (RFC 3339).")
  public String finished;

  @JsonPropertyDescription("What it did, or why it failed.")
  public String message;
}
