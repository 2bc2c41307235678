package dev.k3sbackup.operator;

import dev.k3sbackup.reconciler.OperatorSettings;
import dev.k3sbackup.reconciler.RestoreJournalCollector;
import dev.k3sbackup.reconciler.SnapshotAdopter;
import io.fabric8.kubernetes.client.KubernetesClient;
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
final class AdoptionScans {

  private static final Logger LOG = LoggerFactory.getLogger(AdoptionScans.class);

  private final SnapshotAdopter adopter;
  private final RestoreJournalCollector journals;
  private final long everyMillis;
  private ScheduledExecutorService scanner;

  AdoptionScans(KubernetesClient client, OperatorSettings settings) {
    this.adopter = new SnapshotAdopter(client, settings);
    this.journals = new RestoreJournalCollector(client, settings);
    this.everyMillis = settings.recheck().toMillis();
  }

  synchronized void start() {
    if (scanner != null) {
      return;
    }
    scanner = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshot-adopter");
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
  synchronized boolean running() {
    return scanner != null;
  }

  synchronized void stop() {
    if (scanner != null) {
      scanner.shutdownNow();
      scanner = null;
    }
  }
}
