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

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}
