package dev.k3sbackup.nodescan;

import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.cluster.OperatorSettings;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic scans of the nodes, every {@link OperatorSettings#recheck()}: snapshots to adopt
 * ({@link SnapshotAdopter}) and restore journals to show ({@link RestoreJournalCollector}). They
 * write to the API, so they run only while this replica leads: started and stopped with
 * leadership.
 */
public final class NodeScans {

  private static final Logger LOG = LoggerFactory.getLogger(NodeScans.class);

  private final SnapshotAdopter adopter;
  private final RestoreJournalCollector journals;
  private final long everyMillis;
  private ScheduledExecutorService scanner;

  public NodeScans(Collaborators with) {
    this.adopter = new SnapshotAdopter(with);
    this.journals = new RestoreJournalCollector(with);
    this.everyMillis = with.settings().recheck().toMillis();
  }

  public synchronized void start() {
    if (scanner != null) {
      return;
    }
    scanner = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "node-scans");
      t.setDaemon(true);
      return t;
    });
    scanner.scheduleWithFixedDelay(() -> {
      try {
        adopter.scan();
      } catch (RuntimeException e) {
        LOG.warn("adoption scan failed: {}", e.getMessage());
      }
      try {
        journals.scan();
      } catch (RuntimeException e) {
        LOG.warn("restore journal scan failed: {}", e.getMessage());
      }
    }, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
  }

  /** Whether the scans run (while this replica leads). */
  public synchronized boolean running() {
    return scanner != null;
  }

  public synchronized void stop() {
    if (scanner != null) {
      scanner.shutdownNow();
      scanner = null;
    }
  }
}
