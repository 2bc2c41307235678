package dev.k3sbackup.testing;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.Main;
import dev.k3sbackup.cli.CliContext;
import dev.k3sbackup.etcd.GrpcEtcdMember;
import dev.k3sbackup.operator.OperatorMain;
import dev.k3sbackup.operator.ProcessSettings;
import dev.k3sbackup.operator.RunningOperator;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.restore.RestoreContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
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
  /** The test's own client, straight to the API server (it also plays the etcd rollback). */
  private final KubernetesClient client;
  /** What the operator, the kubelets and the agents use: through a proxy that can go down. */
  private final KubernetesClient apiClient;
  private final FaultyProxy api;
  private final Map<String, EtcdBackedHost> hosts = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, String> endpointByNode = new java.util.concurrent.ConcurrentHashMap<>();
  private final MutableClock clock;
  private final FakeKubelet kubelet;
  private final OperatorSettings settings;
  private RunningOperator operator;
  private final java.util.List<RunningOperator> replicas = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<String, EtcdProcess> etcdByEndpoint = new java.util.concurrent.ConcurrentHashMap<>();

  public OperatorHarness(MutableClock clock) throws IOException {
    this.clock = clock;
    // one map: expectations (see allowLeases) answer first, the CRUD store the rest
    Map<io.fabric8.mockwebserver.ServerRequest,
        java.util.Queue<io.fabric8.mockwebserver.ServerResponse>> expected =
        new HashMap<>();
    this.server = new KubernetesMockServer(new Context(), new MockWebServer(), expected,
        new KubernetesMixedDispatcher(expected), false);
    server.init();
    this.client = server.createClient();
    try (Stream<Path> crds = Files.list(Path.of("../crds"))) {
      for (Path crd : crds.filter(p -> p.toString().endsWith(".yml")).toList()) {
        client.apiextensions().v1().customResourceDefinitions().load(crd.toFile()).create();
      }
    }
    this.api = new FaultyProxy(new java.net.InetSocketAddress("127.0.0.1", server.getPort()));
    this.apiClient = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
        new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
            .withMasterUrl("http://127.0.0.1:" + api.port() + "/").build()).build();
    this.kubelet = new FakeKubelet(apiClient, NAMESPACE, clock, (args, env, out, err) ->
        Main.run(args.toArray(String[]::new), new CliContext(clock, env,
            r -> GrpcEtcdMember.connect(r.etcd(), r.etcdTimeout()), false,
            // a node's K3s is its etcd process (a fake host: no systemd here)
            new RestoreContext(clock, node -> hosts.get(env.get("K3S_ETCD_BACKUP_ENDPOINT")),
                env)),
            out, err));
    kubelet.kubeletRuns(node -> {
      EtcdBackedHost host = host(node);
      return host == null || host.k3sRuns();
    });
    this.settings = OperatorSettings.defaults("k3s-etcd-backup:test").withClock(clock)
        .withRetries(2, Duration.ofMillis(300)).withRecheck(Duration.ofMillis(500))
        .withHome(NAMESPACE).withRestoreAgentPort(Processes.freePort())
        // one test's K3s runs with --data-dir /srv/k3s and --etcd-snapshot-dir /srv/k3s-snapshots
        .withAllowed(new dev.k3sbackup.validation.AllowList(java.util.List.of(
            Path.of("/var/lib/rancher/k3s"), Path.of("/srv/k3s")),
            java.util.List.of(Path.of("/srv/k3s-snapshots")), java.util.List.of()));
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
  private final java.util.Set<String> annotatedMembers = new java.util.HashSet<>();

  public FakeKubelet.FakeNode addEtcdNode(String name, Path root, EtcdProcess etcd)
      throws IOException {
    etcdByEndpoint.put(etcd.endpoint(), etcd);
    endpointByNode.put(name, etcd.endpoint());
    // once wiped, a node's K3s rejoins through a member that runs
    hosts.computeIfAbsent(etcd.endpoint(), e -> new EtcdBackedHost(etcd, () -> etcdByEndpoint
        .values().stream().filter(m -> m != etcd && m.running()).findFirst().orElse(null)));
    Path server = root.resolve("var/lib/rancher/k3s/server");
    Files.createDirectories(server.resolve("tls/etcd"));
    // the servers of one cluster share its token
    Files.writeString(server.resolve("token"), "K10abcdef::server:cluster-token\n");
    FakeKubelet.FakeNode node = kubelet.addNode(new FakeKubelet.FakeNode(name, root,
        Map.of(Labels.ETCD_NODE_ROLE, "true", "node-role.kubernetes.io/control-plane", "true"),
        Map.of("K3S_ETCD_BACKUP_ENDPOINT", etcd.endpoint(),
            // what a Pod's service account token gives a real agent: the API
            "KUBERNETES_MASTER", apiClient.getMasterUrl().toString()),
        // each node its own loopback address, as its InternalIP
        "127.0.0." + (11 + endpointByNode.size())));
    // as K3s annotates a server: the name of its etcd member (a member is one node's: where
    // several fake nodes share one etcd process, the first of them has it)
    if (!annotatedMembers.contains(etcd.name())) {
      annotatedMembers.add(etcd.name());
      client.nodes().withName(name).edit(n -> {
        n.getMetadata().getAnnotations().put(dev.k3sbackup.api.Annotations.ETCD_MEMBER_NAME,
            etcd.name());
        return n;
      });
    }
    return node;
  }

  /**
   * A fake of the API server's authorizer, which the test server lacks: answers every
   * SelfSubjectRulesReview (JOSDK asks one before leader election) with leave to get, create
   * and update Leases, what config/rbac grants the operator in its namespace.
   */
  public void allowLeases() {
    var review = new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder()
        .withNewStatus().withIncomplete(false)
        .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
        .withVerbs("get", "create", "update").endResourceRule()
        .endStatus().build();
    server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, review).always();
  }

  /** Creates the agent's service account, so snapshots report their progress. */
  public void allowProgressReports() {
    client.serviceAccounts().inNamespace(NAMESPACE).resource(
        new io.fabric8.kubernetes.api.model.ServiceAccountBuilder().withNewMetadata()
            .withName(dev.k3sbackup.jobs.AgentJobs.AGENT_SERVICE_ACCOUNT).endMetadata().build())
        .create();
  }

  /** The fake host of {@code node}: its K3s is its etcd process. */
  public EtcdBackedHost host(String node) {
    String endpoint = endpointByNode.get(node);
    return endpoint == null ? null : hosts.get(endpoint);
  }

  /** The API server stops answering the operator, the kubelets and the agents. */
  public void apiDown() {
    api.down();
  }

  /** The API server answers again. */
  public void apiUp() {
    api.up();
  }

  /**
   * What the etcd rollback does to the API after restore {@code restore}: everything made since
   * the snapshot is gone (the restore, its Jobs, its safety snapshot, whose finalizer never runs).
   */
  public void rollBackRestore(String restore) {
    client.resources(dev.k3sbackup.api.v1alpha1.EtcdRestore.class).inNamespace(NAMESPACE)
        .withName(restore).delete();
    for (var job : client.batch().v1().jobs().inNamespace(NAMESPACE).list().getItems()) {
      if (job.getMetadata().getName().startsWith(restore + "-")) {
        client.batch().v1().jobs().inNamespace(NAMESPACE).resource(job).delete();
      }
    }
    var snapshots = client.resources(dev.k3sbackup.api.v1alpha1.EtcdSnapshot.class)
        .inNamespace(NAMESPACE);
    var safety = snapshots.withName(restore + "-safety").get();
    if (safety != null) {
      safety.getMetadata().setFinalizers(java.util.List.of());
      client.resource(safety).update();
      snapshots.withName(restore + "-safety").delete();
    }
  }

  public void startOperator() {
    operator = OperatorMain.start(apiClient, settings, Set.of(NAMESPACE));
  }

  /** The operator started by {@link #startOperator()}, while it runs. */
  public RunningOperator operator() {
    return operator;
  }

  /**
   * Starts one more operator process against the same API (a replica), with its own process
   * settings; it is stopped on {@link #close()} unless stopped before.
   */
  public RunningOperator startReplica(ProcessSettings process) {
    RunningOperator replica = OperatorMain.start(apiClient, settings, Set.of(NAMESPACE), process);
    replicas.add(replica);
    return replica;
  }

  public void stopOperator() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  @Override
  public void close() {
    stopOperator();
    for (RunningOperator replica : replicas) {
      replica.close();
    }
    kubelet.close();
    apiClient.close();
    client.close();
    try {
      api.close();
    } catch (IOException ignored) {
      // the test is over
    }
    server.destroy();
  }
}
