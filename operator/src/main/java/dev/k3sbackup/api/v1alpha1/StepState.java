package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Where one step of a node's restore is: the one state of a journal entry, of a node agent's
 * report and of {@code status.nodes[].steps[].state}.
 */
public enum StepState {
  /** Begun, not ended (yet). */
  Running,
  /** Ended as it should. */
  Done,
  /** Ended in failure; the message says why. */
  Failed;

  /** Also reads the words of journals written before this enum ({@code began/done/failed}). */
  @JsonCreator
  public static StepState of(String value) {
    return switch (value) {
      case "began", "Running" -> Running;
      case "done", "Done" -> Done;
      case "failed", "Failed" -> Failed;
      default -> throw new IllegalArgumentException("no step state " + value);
    };
  }
}
