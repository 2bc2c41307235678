package dev.k3sbackup.operator;

import dev.k3sbackup.reconciler.EtcdRestoreReconciler;
import dev.k3sbackup.reconciler.EtcdSnapshotReconciler;
import dev.k3sbackup.reconciler.EtcdSnapshotScheduleReconciler;
import dev.k3sbackup.reconciler.OperatorSettings;
import dev.k3sbackup.reconciler.RestoreJournalCollector;
import dev.k3sbackup.reconciler.SnapshotAdopter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code operator}: runs the reconcilers against the cluster the environment points at.
 * Settings come from the environment: {@code AGENT_IMAGE} (the image node agent Jobs run; the
 * operator's own) and {@code WATCH_NAMESPACES} (comma-separated; default all).
 */
public final class OperatorMain {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

  private static final java.util.Map<Operator, java.util.concurrent.ScheduledExecutorService>
      ADOPTERS = new java.util.concurrent.ConcurrentHashMap<>();

  private OperatorMain() {}

  /** Stops the operator and its adoption scans. */
  public static void stop(Operator operator) {
    var scanner = ADOPTERS.remove(operator);
    if (scanner != null) {
      scanner.shutdownNow();
    }
    operator.stop();
  }

  public static void run(String[] args) {
    String image = System.getenv().getOrDefault("AGENT_IMAGE",
        "k3s-etcd-backup:0.1.0");
    String watch = System.getenv().getOrDefault("WATCH_NAMESPACES", "");
    KubernetesClient client = new KubernetesClientBuilder().build();
    String home = System.getenv().getOrDefault("OPERATOR_NAMESPACE", "k3s-etcd-backup");
    Operator operator = start(client, OperatorSettings.defaults(image).withHome(home),
        watch.isBlank() ? Set.of() : Set.of(watch.split(",")));
    operator.installShutdownHook(Duration.ofSeconds(10));
    LOG.info("operator started (agent image {}, namespaces {})", image,
        watch.isBlank() ? "all" : watch);
  }

  /**
   * Registers and starts the reconcilers; returns once their caches are in sync.
   *
   * @param namespaces where to watch; empty for all namespaces
   */
  public static Operator start(KubernetesClient client, OperatorSettings settings,
      Set<String> namespaces) {
    Operator operator = new Operator(o -> o
        .withKubernetesClient(client)
        // Patches are JSON patches: the tests' API server refuses server-side apply, and we
        // ship what we test.
        .withUseSSAToPatchPrimaryResource(false)
        .withSSABasedCreateUpdateMatchForDependentResources(false)
        .withCloseClientOnStop(false));
    operator.register(new EtcdSnapshotReconciler(client, settings),
        c -> configure(c, namespaces, settings));
    operator.register(new EtcdSnapshotScheduleReconciler(client, settings),
        c -> configure(c, namespaces, settings));
    operator.register(new EtcdRestoreReconciler(client, settings),
        c -> configure(c, namespaces, settings));
    operator.start();
    SnapshotAdopter adopter = new SnapshotAdopter(client, settings);
    RestoreJournalCollector journals = new RestoreJournalCollector(client, settings);
    var scanner = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshot-adopter");
      t.setDaemon(true);
      return t;
    });
    long every = settings.recheck().toMillis();
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
    }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
    ADOPTERS.put(operator, scanner);
    return operator;
  }

  private static void configure(
      io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<?> c,
      Set<String> namespaces, OperatorSettings settings) {
    c.withReconciliationMaxInterval(settings.recheck());
    if (namespaces.isEmpty()) {
      c.watchingAllNamespaces();
    } else {
      c.settingNamespaces(namespaces);
    }
  }
}
