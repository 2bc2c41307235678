package dev.k3sbackup.jobs;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Instant;
import java.util.Optional;

/** Reads a Job's status the way the job controller writes it. */
public final class JobState {

  private JobState() {}

  public static boolean finished(Job job) {
    var s = job.getStatus();
    if (s == null) {
      return false;
    }
    if (positive(s.getSucceeded()) || positive(s.getFailed())) {
      return true;
    }
    return s.getConditions() != null && s.getConditions().stream().anyMatch(c ->
        ("Complete".equals(c.getType()) || "Failed".equals(c.getType()))
            && "True".equals(c.getStatus()));
  }

  /**
   * Whether Kubernetes ended the Job because it ran past its {@code activeDeadlineSeconds}
   * (its Failed condition's reason {@code DeadlineExceeded}).
   */
  public static boolean deadlineExceeded(Job job) {
    var s = job.getStatus();
    return s != null && s.getConditions() != null && s.getConditions().stream().anyMatch(c ->
        "Failed".equals(c.getType()) && "True".equals(c.getStatus())
            && "DeadlineExceeded".equals(c.getReason()));
  }

  /** When it finished, as far as its status says. */
  public static Optional<Instant> finishedAt(Job job) {
    var s = job.getStatus();
    if (s == null) {
      return Optional.empty();
    }
    if (s.getCompletionTime() != null) {
      return Optional.of(Instant.parse(s.getCompletionTime()));
    }
    if (s.getConditions() != null) {
      return s.getConditions().stream().filter(c -> "Failed".equals(c.getType()))
          .map(c -> c.getLastTransitionTime()).filter(t -> t != null).map(Instant::parse)
          .findFirst();
    }
    return Optional.empty();
  }

  private static boolean positive(Integer n) {
    return n != null && n > 0;
  }
}
