package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One step of a restore's history. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PhaseTransition {

  @JsonPropertyDescription("The phase entered.")
  public RestorePhase phase;

  @JsonPropertyDescription("When (RFC 3339).")
  public String time;

  @JsonPropertyDescription("Why.")
  public String message;
}
