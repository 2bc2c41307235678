package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What a restore did and does. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EtcdRestoreStatus {

  @JsonPropertyDescription("Pending, Preflight, PlanReady, SafetySnapshot, Restoring, Succeeded or "
      + "Failed.")
  public RestorePhase phase;

  @JsonPropertyDescription("What happened and what to do.")
  public String message;

  @JsonPropertyDescription("What the restore does, decided in preflight.")
  public RestorePlan plan;

  @JsonPropertyDescription("Each node's steps with their state and times, from its agent's "
      + "journal.")
  public List<NodeRestoreStatus> nodes = new ArrayList<>();

  @JsonPropertyDescription("Every phase entered, in order.")
  public List<PhaseTransition> history = new ArrayList<>();

  @JsonPropertyDescription("The spec generation this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Ready and Failed conditions, Kubernetes style.")
  public List<Condition> conditions = new ArrayList<>();

  public RestorePhase phaseOrPending() {
    return phase == null ? RestorePhase.Pending : phase;
  }
}
