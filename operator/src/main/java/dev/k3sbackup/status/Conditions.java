package dev.k3sbackup.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Kubernetes-style conditions: one per type, transition time kept while the status holds. */
public final class Conditions {

  public static final String READY = "Ready";
  public static final String FAILED = "Failed";
  public static final String UPLOADED = "Uploaded";
  /** On a schedule: something allowed but likely unmeant (a schedule that fires every minute). */
  public static final String WARNING = "Warning";
  /** On a schedule: whether K3s takes its own scheduled snapshots next to it, and the advice. */
  public static final String K3S_SNAPSHOTS = "K3sSnapshots";

  private Conditions() {}

  /** Sets condition {@code type}, keeping its transition time when its status is unchanged. */
  public static void set(List<Condition> conditions, String type, boolean status, String reason,
      String message, Long generation, Instant now) {
    String value = status ? "True" : "False";
    Optional<Condition> old = find(conditions, type);
    String since = old.filter(c -> value.equals(c.getStatus()))
        .map(Condition::getLastTransitionTime).orElse(now.toString());
    conditions.removeIf(c -> type.equals(c.getType()));
    conditions.add(new ConditionBuilder().withType(type).withStatus(value).withReason(reason)
        .withMessage(message).withObservedGeneration(generation).withLastTransitionTime(since)
        .build());
  }

  /** Sets condition {@code type} to {@code Unknown}. */
  public static void setUnknown(List<Condition> conditions, String type, String reason,
      String message, Long generation, Instant now) {
    Optional<Condition> old = find(conditions, type);
    String since = old.filter(c -> "Unknown".equals(c.getStatus()))
        .map(Condition::getLastTransitionTime).orElse(now.toString());
    conditions.removeIf(c -> type.equals(c.getType()));
    conditions.add(new ConditionBuilder().withType(type).withStatus("Unknown").withReason(reason)
        .withMessage(message).withObservedGeneration(generation).withLastTransitionTime(since)
        .build());
  }

  /** Removes condition {@code type}. */
  public static void remove(List<Condition> conditions, String type) {
    conditions.removeIf(c -> type.equals(c.getType()));
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}
