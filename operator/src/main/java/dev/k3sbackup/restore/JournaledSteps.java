package dev.k3sbackup.restore;

import dev.k3sbackup.api.v1alpha1.StepState;
import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs named steps once each across reruns: a step the journal has as done is skipped, any
 * other is journaled as begun, then done or failed.
 */
final class JournaledSteps {

  private static final Logger LOG = LoggerFactory.getLogger(JournaledSteps.class);

  private final RestoreJournal journal;

  JournaledSteps(RestoreJournal journal) {
    this.journal = journal;
  }

  void run(RestoreStep step, Supplier<String> action) {
    runLeaving(step, () -> new Outcome(action.get(), null));
  }

  /** What a step did, and where it left something (or null). */
  record Outcome(String message, String path) {}

  /** Runs {@code step} like {@link #run}, journaling where it left something. */
  void runLeaving(RestoreStep step, Supplier<Outcome> action) {
    if (journal.done(step)) {
      LOG.info("restore step {} was done before, skipping it", step);
      return;
    }
    journal.began(step, "");
    try {
      Outcome outcome = action.get();
      journal.finished(step, outcome.message(), outcome.path());
      LOG.info("restore step {}: {}", step, outcome.message());
    } catch (RuntimeException e) {
      journal.failed(step, e.getMessage());
      throw e;
    }
  }

  /** Where a done {@code step} left something. */
  java.util.Optional<String> pathOf(RestoreStep step) {
    return journal.pathOf(step);
  }

  /** Journals a failure that is not one step's (what a failure did after its step failed). */
  void failedAfter(RestoreStep step, String message) {
    journal.failed(step, message);
  }

  /** What this agent's status server says: its node, role, finished steps and failure. */
  AgentStatus status(String node, RestoreRole role) {
    return new AgentStatus(node, role, journal.entries().stream()
        .filter(e -> e.state() == StepState.Done).map(RestoreJournal.Entry::step).toList(),
        journal.last().filter(e -> e.state() == StepState.Failed)
            .map(e -> new AgentStatus.Failure(e.step(), e.message())).orElse(null));
  }
}
