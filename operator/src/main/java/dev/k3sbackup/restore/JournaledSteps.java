package dev.k3sbackup.restore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  void run(String name, Supplier<String> action) {
    if (journal.done(name)) {
      LOG.info("restore step {} was done before, skipping it", name);
      return;
    }
    journal.began(name, "");
    try {
      String message = action.get();
      journal.finished(name, message);
      LOG.info("restore step {}: {}", name, message);
    } catch (RuntimeException e) {
      journal.failed(name, e.getMessage());
      throw e;
    }
  }

  /** What this agent's status server says: its node, role and finished steps. */
  Map<String, Object> status(String node, String role) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("node", node);
    s.put("role", role);
    s.put("done", journal.entries().stream().filter(e -> "done".equals(e.state()))
        .map(RestoreJournal.Entry::step).toList());
    journal.last().filter(e -> "failed".equals(e.state()))
        .ifPresent(e -> s.put("failed", List.of(e.step(), e.message())));
    return s;
  }
}
