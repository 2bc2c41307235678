package dev.k3sbackup.testing;

import dev.k3sbackup.Main;
import dev.k3sbackup.cli.CliContext;
import dev.k3sbackup.etcd.GrpcEtcdMember;
import dev.k3sbackup.operator.OperatorMain;
import dev.k3sbackup.reconciler.EtcdNodes;
import dev.k3sbackup.reconciler.OperatorSettings;
import dev.k3sbackup.restore.RestoreContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The operator under test, running for real (JOSDK) against the fabric8 API server in CRUD
 * mode with our CRDs, with a {@link FakeKubelet} that runs the agent Jobs through our jar's
 * entrypoint on fake nodes backed by real etcd processes.
 */
public final class OperatorHarness implements AutoCloseable {

  public static final String NAMESPACE = "backups";
  /** The mock server logs every request through java.util.logging; keep it quiet. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final MutableClock clock;
  private final FakeKubelet kubelet;
  private final OperatorSettings settings;
  private Operator operator;
  private final Map<String, EtcdProcess> etcdByEndpoint = new java.util.concurrent.ConcurrentHashMap<>();

  public OperatorHarness(MutableClock clock) throws IOException {
    this.clock = clock;
    this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesMixedDispatcher(new HashMap<>()), false);
    server.init();
    this.client = server.createClient();
    try (Stream<Path> crds = Files.list(Path.of("../crds"))) {
      for (Path crd : crds.filter(p -> p.toString().endsWith(".yml")).toList()) {
        client.apiextensions().v1().customResourceDefinitions().load(crd.toFile()).create();
      }
    }
    this.kubelet = new FakeKubelet(client, NAMESPACE, clock, (args, env, out, err) ->
        Main.run(args.toArray(String[]::new), new CliContext(clock, env,
            r -> GrpcEtcdMember.connect(r.etcd(), r.etcdTimeout()), false,
            // a node's K3s is its etcd process (a fake host: no systemd here)
            new RestoreContext(clock, dataDir -> new EtcdBackedHost(
                etcdByEndpoint.get(env.get("K3S_ETCD_BACKUP_ENDPOINT"))))), out, err));
    this.settings = OperatorSettings.defaults("k3s-etcd-backup:test").withClock(clock)
        .withRetries(2, Duration.ofMillis(300)).withRecheck(Duration.ofMillis(500))
        .withHome(NAMESPACE);
  }

  public KubernetesClient client() {
    return client;
  }

  public FakeKubelet kubelet() {
    return kubelet;
  }

  /** The settings the operator runs with (for driving one of its parts by hand). */
  public OperatorSettings settings() {
    return settings;
  }

  public MutableClock clock() {
    return clock;
  }

  /**
   * Adds a K3s server node with embedded etcd: a fake node whose root holds K3s's data dir
   * layout, and whose host points the agent at {@code etcd}.
   */
  public FakeKubelet.FakeNode addEtcdNode(String name, Path root, EtcdProcess etcd)
      throws IOException {
    etcdByEndpoint.put(etcd.endpoint(), etcd);
    Path server = root.resolve("var/lib/rancher/k3s/server");
    Files.createDirectories(server.resolve("tls/etcd"));
    Files.writeString(server.resolve("token"), "K10abcdef::server:" + name + "-token\n");
    return kubelet.addNode(new FakeKubelet.FakeNode(name, root,
        Map.of(EtcdNodes.LABEL, "true", "node-role.kubernetes.io/control-plane", "true"),
        Map.of("K3S_ETCD_BACKUP_ENDPOINT", etcd.endpoint(),
            // what a Pod's service account token gives a real agent: the API
            "KUBERNETES_MASTER", client.getMasterUrl().toString())));
  }

  /** Creates the agent's service account, so snapshots report their progress. */
  public void allowProgressReports() {
    client.serviceAccounts().inNamespace(NAMESPACE).resource(
        new io.fabric8.kubernetes.api.model.ServiceAccountBuilder().withNewMetadata()
            .withName(dev.k3sbackup.agent.AgentJobs.AGENT_SERVICE_ACCOUNT).endMetadata().build())
        .create();
  }

  public void startOperator() {
    operator = OperatorMain.start(client, settings, Set.of(NAMESPACE));
  }

  public void stopOperator() {
    if (operator != null) {
      OperatorMain.stop(operator);
      operator = null;
    }
  }

  @Override
  public void close() {
    stopOperator();
    kubelet.close();
    client.close();
    server.destroy();
  }
}
