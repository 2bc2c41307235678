package dev.k3sbackup.operator;

import dev.k3sbackup.nodescan.NodeScans;
import dev.k3sbackup.monitoring.BackupMetrics;
import dev.k3sbackup.monitoring.BackupResourceWatch;
import dev.k3sbackup.monitoring.MetricsServer;
import dev.k3sbackup.reconciler.EtcdRestoreReconciler;
import dev.k3sbackup.reconciler.EtcdSnapshotReconciler;
import dev.k3sbackup.reconciler.EtcdSnapshotScheduleReconciler;
import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.cluster.LeanItemStore;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.validation.AllowList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code operator}: runs the reconcilers against the cluster the environment points at.
 * Settings come from the environment: {@code AGENT_IMAGE} (the image node agent Jobs run; the
 * operator's own), {@code OPERATOR_NAMESPACE} (where the operator runs its node agent Jobs, reads
 * the Secrets and ConfigMaps specs name, keeps adopted snapshots and its leader Lease),
 * {@code WATCH_NAMESPACES} (other namespaces whose resources it acts on, comma-separated, or
 * {@code *} for every namespace; default none: only its own; see the README's security section
 * for the risk), {@code RECHECK_INTERVAL} (a Go duration, default {@code 5m}: the longest a
 * resource goes without being looked at again, and how often the nodes are scanned),
 * {@code ALLOWED_DATA_DIRS}, {@code ALLOWED_SNAPSHOT_DIRS}, {@code ALLOWED_S3_ENDPOINTS}
 * ({@link AllowList}), {@code SAFETY_SNAPSHOTS_KEPT} (default 3) and {@code OLD_DATA_KEPT}
 * (default 2), and those of {@link ProcessSettings} (metrics port, leader election).
 */
public final class OperatorMain {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);
  private static final Duration DEFAULT_RECHECK = Duration.ofMinutes(5);

  private OperatorMain() {}

  public static void run(String[] args) {
    Map<String, String> env = System.getenv();
    String image = env.getOrDefault("AGENT_IMAGE",
        "k3s-etcd-backup:0.1.0");
    String home = env.getOrDefault("OPERATOR_NAMESPACE", "k3s-etcd-backup");
    ProcessSettings process;
    OperatorSettings settings;
    Set<String> namespaces;
    try {
      process = ProcessSettings.fromEnv(env, home);
      namespaces = watchNamespaces(env, home);
      settings = OperatorSettings.defaults(image).withHome(home)
          .withRecheck(recheckInterval(env)).withAllowed(AllowList.fromEnv(env))
          .withKept(count(env, "SAFETY_SNAPSHOTS_KEPT", OperatorSettings.SAFETY_SNAPSHOTS_KEPT),
              count(env, "OLD_DATA_KEPT", OperatorSettings.OLD_DATA_KEPT));
    } catch (IllegalArgumentException e) {
      System.err.println("operator: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    RunningOperator running;
    try {
      running = start(client, settings, namespaces, process);
    } catch (RuntimeException e) {
      LOG.error("the operator could not start: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    if (process.leaderElection().isEmpty()) {
      Runtime.getRuntime().addShutdownHook(new Thread(running::close, "operator-shutdown"));
    }
    // With leader election a lost lease ends the process (a restart starts clean); a shutdown
    // hook must not stop the operator then, as that would try to end the process again.
    LOG.info("operator started (agent image {}, namespaces {}, {})", image,
        namespaces.isEmpty() ? "all" : String.join(",", namespaces), process.leaderElection()
            .map(l -> "leader election through Lease " + l.namespace() + "/" + l.lease()
                + " as " + l.identity())
            .orElse("no leader election"));
  }

  /**
   * {@code RECHECK_INTERVAL} from {@code env}: a Go duration ({@code 30s}, {@code 5m}), default
   * five minutes.
   *
   * @throws IllegalArgumentException naming the variable when it is not a positive duration
   */
  static Duration recheckInterval(Map<String, String> env) {
    String value = env.getOrDefault("RECHECK_INTERVAL", "").trim();
    if (value.isEmpty()) {
      return DEFAULT_RECHECK;
    }
    try {
      return GoDuration.parse("RECHECK_INTERVAL", value);
    } catch (SnapshotException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /**
   * {@code WATCH_NAMESPACES} from {@code env}: the namespaces to act on, always with the
   * operator's own ({@code home}); unset or empty for only {@code home}; {@code *} for every
   * namespace (an empty set).
   *
   * @throws IllegalArgumentException naming the variable when a name is not a namespace's
   */
  static Set<String> watchNamespaces(Map<String, String> env, String home) {
    String value = env.getOrDefault("WATCH_NAMESPACES", "").trim();
    if (value.equals("*")) {
      return Set.of();
    }
    Set<String> namespaces = new java.util.TreeSet<>();
    namespaces.add(home);
    for (String ns : value.split(",")) {
      String n = ns.trim();
      if (n.isEmpty()) {
        continue;
      }
      if (!n.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException("WATCH_NAMESPACES entry '" + n + "' is not a "
            + "namespace name; give names separated by commas, or * for every namespace");
      }
      namespaces.add(n);
    }
    return namespaces;
  }

  static int count(Map<String, String> env, String name, int fallback) {
    String value = env.getOrDefault(name, "").trim();
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= 100) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(name + " '" + value + "' must be a number from 1 to 100"
        + " (default " + fallback + ")");
  }

  /** Starts acting alone (no leader election), metrics on a free port. */
  public static RunningOperator start(KubernetesClient client, OperatorSettings settings,
      Set<String> namespaces) {
    return start(client, settings, namespaces, ProcessSettings.alone(0));
  }

  /**
   * Registers and starts the reconcilers, serves metrics and probes; returns once the caches are
   * in sync. With leader election the reconcilers and adoption scans act only while this
   * replica holds the Lease; the caches, metrics and probes run on every replica.
   *
   * @param namespaces where to act, with the operator's own namespace; empty for all
   *     namespaces
   */
  public static RunningOperator start(KubernetesClient client, OperatorSettings given,
      Set<String> namespaces, ProcessSettings process) {
    OperatorSettings settings = given.withWatched(namespaces);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    BackupMetrics metrics = new BackupMetrics(registry);
    Collaborators with = Collaborators.of(client, settings);
    NodeScans adoption = new NodeScans(with);
    LeaderCallbacks leadership = new LeaderCallbacks(() -> {
      LOG.info("leading: reconciling and scanning for snapshots to adopt");
      metrics.leader(true);
      adoption.start();
    }, () -> {
      LOG.info("no longer leading: standing by");
      metrics.leader(false);
      adoption.stop();
    }, leader -> LOG.info("the leader is {}", leader));

    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          // Patches are JSON patches: the tests' API server refuses server-side apply, and we
          // ship what we test.
          .withUseSSAToPatchPrimaryResource(false)
          .withSSABasedCreateUpdateMatchForDependentResources(false)
          .withCloseClientOnStop(false)
          // JOSDK's default is 50 threads each way: reconciles here are short API calls, and at
          // start-up with thousands of snapshots 50 concurrent clones of resources only raised
          // the heap's peak (issue 13)
          .withConcurrentReconciliationThreads(8)
          .withConcurrentWorkflowExecutorThreads(2)
          // reconcile counts and times per kind, not per resource (bounded label sets)
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
      process.leaderElection().ifPresent(l -> o.withLeaderElectionConfiguration(
          new LeaderElectionConfiguration(l.lease(), l.namespace(), l.leaseDuration(),
              l.renewDeadline(), l.retryPeriod(), l.identity(), leadership, l.exitOnLoss())));
    });
    operator.register(new EtcdSnapshotReconciler(with), c -> configure(c, settings));
    operator.register(new EtcdSnapshotScheduleReconciler(with), c -> configure(c, settings));
    operator.register(new EtcdRestoreReconciler(with), c -> configure(c, settings));
    RuntimeInfo runtime = operator.getRuntimeInfo();

    AtomicReference<BackupResourceWatch> watch = new AtomicReference<>();
    MetricsServer http = MetricsServer.start(process.httpPort(), () -> {
      BackupResourceWatch w = watch.get();
      if (w != null) {
        w.refresh();
      }
      return registry.scrape();
    }, () -> MetricsServer.Check.healthy(), () -> readiness(runtime, watch.get()));
    try {
      operator.start();
      watch.set(BackupResourceWatch.start(client, settings.watched(), metrics,
          settings.clock()));
    } catch (RuntimeException e) {
      http.close();
      operator.stop();
      throw e;
    }
    if (process.leaderElection().isEmpty()) {
      leadership.onStartLeading();
    }
    return new RunningOperator(operator, adoption, watch.get(), http, metrics, registry);
  }

  /** Ready: started, and every watch (JOSDK's and the metrics') connected. */
  private static MetricsServer.Check readiness(RuntimeInfo runtime, BackupResourceWatch watch) {
    if (!runtime.isStarted() || watch == null) {
      return MetricsServer.Check.failing("starting: the caches are not in sync yet");
    }
    if (!runtime.allEventSourcesAreHealthy()) {
      String unhealthy = runtime.unhealthyEventSources().entrySet().stream()
          .filter(e -> !e.getValue().isEmpty())
          .map(e -> e.getKey() + ": " + String.join(", ", e.getValue().keySet()))
          .collect(Collectors.joining("; "));
      return MetricsServer.Check.failing("watches not healthy: " + unhealthy);
    }
    if (!watch.watching()) {
      return MetricsServer.Check.failing("the metrics' watches are not connected");
    }
    return MetricsServer.Check.healthy();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void configure(ControllerConfigurationOverrider<?> c,
      OperatorSettings settings) {
    c.withReconciliationMaxInterval(settings.recheck());
    // the cache without managedFields, filled page by page (issue 13: 5,000 snapshots)
    ((ControllerConfigurationOverrider) c).withItemStore(new LeanItemStore<>());
    c.withInformerListLimit(LeanItemStore.LIST_PAGE);
    if (settings.watchesAllNamespaces()) {
      c.watchingAllNamespaces();
    } else {
      c.settingNamespaces(settings.watched());
    }
  }
}
