package dev.k3sbackup.testing.realcluster;

import dev.k3sbackup.testing.Processes;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.opentest4j.TestAbortedException;

/**
 * One real cluster for one test class (a JUnit extension, registered as a static field): a
 * K3s-shaped server node ({@link ServerNode}: etcd v3.6 with K3s's TLS, kube-apiserver,
 * kube-controller-manager and kube-scheduler, built by {@code scripts/real-control-plane.sh})
 * in a network namespace of its own, the fake process kubelet running its Pods from our real
 * image, an S3 server (S3Proxy) the node reaches, and the real kubectl.
 *
 * <p>Needs root (network namespaces, mounts, chroot), the binaries (system property
 * {@code realcluster.bin}, or the script's cache) and the image tarball ({@code image.tarball}).
 * Without them the class is skipped with one line, except with {@code CI=true}, where a skip of
 * this tier is a failure.
 */
public final class RealCluster implements BeforeAllCallback, AfterAllCallback, TestWatcher {

  /** The operator's namespace, as config/default installs it. */
  public static final String OPERATOR_NAMESPACE = "k3s-etcd-backup";
  public static final String NODE = "k3s-server-1";

  private Path work;
  private NodeNetwork network;
  private ServerNode server;
  private FakeProcessKubelet kubelet;
  private KubernetesClient client;
  private Path kubeconfig;
  private ServerNode.Binaries bin;
  private org.gaul.s3proxy.S3Proxy s3;
  private URI s3Uri;
  private final List<String> failures = new ArrayList<>();
  private final String node;
  private final List<String> extraInternalIPs;

  /** A cluster whose server node is {@value #NODE}. */
  public RealCluster() {
    this(NODE, List.of());
  }

  /**
   * A cluster whose server node is called {@code node} and reports {@code extraInternalIPs}
   * as InternalIPs before its own (as a dual-stack node whose first address is IPv6 does).
   */
  public RealCluster(String node, List<String> extraInternalIPs) {
    this.node = node;
    this.extraInternalIPs = List.copyOf(extraInternalIPs);
  }

  /** The server node's name. */
  public String nodeName() {
    return node;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Path binDir = findBinaries();
    Path image = Path.of(System.getProperty("image.tarball", "operator/target/"
        + "k3s-etcd-backup-image.tar"));
    String missing = !"root".equals(System.getProperty("user.name"))
        ? "it needs root (network namespaces, mounts, chroot)"
        : binDir == null ? "the control plane is not built: run bash scripts/real-control-plane.sh"
        : !Files.isRegularFile(image) ? "no image tarball at " + image + " (bash "
            + "scripts/build-image.sh, then -Dimage.tarball=PATH)"
        : null;
    if (missing != null) {
      String line = "real-cluster tests skipped: " + missing;
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(line + " (CI=true: this tier must run)");
      }
      System.err.println(line);
      throw new TestAbortedException(line);
    }
    bin = new ServerNode.Binaries(binDir);
    work = Files.createTempDirectory("real-cluster");
    long started = System.nanoTime();
    network = NodeNetwork.create();
    K3sPki pki = K3sPki.createCluster(work.resolve("pki"));
    server = ServerNode.startFirst(node, work.resolve("nodes").resolve(node), network, pki, bin);
    kubeconfig = work.resolve("admin.kubeconfig");
    K3sPki.adminKubeconfig(kubeconfig, server.dataDir(), server.address());
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(
        Files.readString(kubeconfig))).build();
    ImageStore images = ImageStore.load(image, work.resolve("image"));
    kubelet = new FakeProcessKubelet(client, new FakeProcessKubelet.NodeSpec(node,
        k3sServerLabels(node), k3sServerAnnotations(server.memberName(), node,
        server.address()), extraInternalIPs), network,
        server.endpoint(), server.root(), work.resolve("kubelet"), images).start();
    await("node " + node + " Ready and schedulable", Duration.ofSeconds(60), () -> {
      var n = client.nodes().withName(node).get();
      return n != null && n.getSpec().getTaints() == null || n != null
          && n.getSpec().getTaints().isEmpty();
    });
    await("the default service account", Duration.ofSeconds(60),
        () -> client.serviceAccounts().inNamespace("default").withName("default").get() != null);
    startS3();
    System.err.printf("real cluster up in %.1f s (node %s at %s, S3 at %s)%n",
        (System.nanoTime() - started) / 1e9, node, server.address(), s3Uri);
  }

  /** The directory of the control plane's binaries, or null when it is not built. */
  private static Path findBinaries() throws IOException {
    String given = System.getProperty("realcluster.bin");
    if (given != null && !given.isBlank()) {
      Path p = Path.of(given);
      return Files.isExecutable(p.resolve("kube-apiserver")) ? p : null;
    }
    Path script = Stream.of(Path.of("scripts/real-control-plane.sh"),
        Path.of("../scripts/real-control-plane.sh")).filter(Files::isRegularFile).findFirst()
        .orElse(null);
    if (script == null) {
      return null;
    }
    String k8s = variable(Files.readString(script), "K8S_VERSION");
    String etcd = variable(Files.readString(script.resolveSibling("etcd-binaries.sh")),
        "ETCD_VERSION");
    String cacheHome = System.getenv("XDG_CACHE_HOME") != null ? System.getenv("XDG_CACHE_HOME")
        : System.getProperty("user.home") + "/.cache";
    Path dir = Path.of(cacheHome, "k3s-etcd-backup", "control-plane-" + k8s + "-etcd-" + etcd);
    return Files.isExecutable(dir.resolve("kube-apiserver")) ? dir : null;
  }

  private static String variable(String script, String name) {
    var m = java.util.regex.Pattern.compile(name + "=\\$\\{" + name + ":-([^}]+)}")
        .matcher(script);
    if (!m.find()) {
      throw new IllegalStateException("scripts/ sets no default " + name);
    }
    return m.group(1);
  }

  /**
   * The labels K3s v1.34 puts on a server node with embedded etcd (no {@code master} role label:
   * K3s dropped it before 1.34).
   */
  public static Map<String, String> k3sServerLabels(String node) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/hostname", node);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", "amd64");
    labels.put("beta.kubernetes.io/os", "linux");
    labels.put("beta.kubernetes.io/arch", "amd64");
    labels.put("node.kubernetes.io/instance-type", "k3s");
    labels.put("beta.kubernetes.io/instance-type", "k3s");
    labels.put("node-role.kubernetes.io/control-plane", "true");
    labels.put("node-role.kubernetes.io/etcd", "true");
    return labels;
  }

  /** The annotations K3s puts on a server node with embedded etcd. */
  public static Map<String, String> k3sServerAnnotations(String memberName, String node,
      String address) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("k3s.io/hostname", node);
    a.put("k3s.io/internal-ip", address);
    a.put("k3s.io/node-args", "[\"server\",\"--cluster-init\",\"true\"]");
    a.put("etcd.k3s.cattle.io/node-name", memberName);
    a.put("etcd.k3s.cattle.io/node-address", address);
    return a;
  }

  private void startS3() throws Exception {
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", Files.createDirectories(work.resolve("s3"))
        .toString());
    props.setProperty("jclouds.identity", dev.k3sbackup.testing.S3Fixture.ACCESS_KEY);
    props.setProperty("jclouds.credential", dev.k3sbackup.testing.S3Fixture.SECRET_KEY);
    var blobStore = org.gaul.s3proxy.BlobStores.create("filesystem", props);
    int port = Processes.freePort();
    s3Uri = URI.create("http://" + network.gateway() + ":" + port);
    s3 = org.gaul.s3proxy.S3Proxy.builder().blobStore(blobStore)
        .awsAuthentication(org.gaul.s3proxy.auth.AuthenticationType.AWS_V2_OR_V4,
            dev.k3sbackup.testing.S3Fixture.ACCESS_KEY, dev.k3sbackup.testing.S3Fixture.SECRET_KEY)
        .ignoreUnknownHeaders(true).endpoint(s3Uri).build();
    s3.start();
    await("S3Proxy", Duration.ofSeconds(30), () -> "STARTED".equals(s3.getState()));
  }

  /**
   * Installs the operator as shipped ({@code kubectl apply -k config/default}, as install.sh
   * does after the CRDs) and waits until its Deployment has rolled out: its Pods run from our
   * image under its own service account, with the Deployment's env and arguments.
   */
  public void installOperator() {
    kubectlOk("apply", "-k", "config/crd");
    kubectlOk("wait", "--for=condition=Established", "--timeout=60s",
        "crd/etcdsnapshots.k3sbackup.dev", "crd/etcdsnapshotschedules.k3sbackup.dev",
        "crd/etcdrestores.k3sbackup.dev");
    kubectlOk("apply", "-k", "config/default");
    Processes.Result rollout = kubectl("-n", OPERATOR_NAMESPACE, "rollout", "status",
        "deployment/k3s-etcd-backup", "--timeout=180s");
    if (rollout.exitCode() != 0) {
      throw new AssertionError("the operator did not roll out:\n" + rollout.output()
          + kubelet.allLogs());
    }
  }

  /** An admin client of the cluster. */
  public KubernetesClient client() {
    return client;
  }

  /** The admin kubeconfig (pointing at the node's address). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  public ServerNode server() {
    return server;
  }

  public FakeProcessKubelet kubelet() {
    return kubelet;
  }

  public ServerNode.Binaries binaries() {
    return bin;
  }

  /**
   * The S3 server (S3Proxy, the test keys of {@link dev.k3sbackup.testing.S3Fixture}), reachable
   * from the node and from here.
   */
  public dev.k3sbackup.testing.S3Fixture s3() {
    return new dev.k3sbackup.testing.S3Fixture(s3Uri);
  }

  /** A scratch directory of this class's cluster. */
  public Path work() {
    return work;
  }

  /** Runs the real kubectl (from here) as the admin; does not fail on a non-zero exit. */
  public Processes.Result kubectl(String... args) {
    return kubectlAs(kubeconfig, args);
  }

  /** Runs the real kubectl with {@code config}; does not fail on a non-zero exit. */
  public Processes.Result kubectlAs(Path config, String... args) {
    List<String> cmd = new ArrayList<>(List.of(bin.get("kubectl").toString(), "--kubeconfig",
        config.toString()));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, Map.of(), repoRoot());
  }

  /** Runs the real kubectl and fails the test when it exits non-zero. */
  public String kubectlOk(String... args) {
    Processes.Result r = kubectl(args);
    if (r.exitCode() != 0) {
      throw new AssertionError("kubectl " + String.join(" ", args) + " exited " + r.exitCode()
          + ":\n" + r.output());
    }
    return r.output();
  }

  /** Runs {@code kubectl <verb> -f <the manifest>} as the admin; does not fail on exit codes. */
  public Processes.Result kubectlWithManifest(String manifest, String... verbAndFlags)
      throws IOException {
    Path file = Files.createTempFile(work, "manifest", ".yaml");
    Files.writeString(file, manifest);
    List<String> args = new ArrayList<>(List.of(verbAndFlags));
    args.addAll(List.of("-f", file.toString()));
    return kubectl(args.toArray(String[]::new));
  }

  /** {@code kubectl get -o json} of one object, parsed; null when it does not exist. */
  public com.fasterxml.jackson.databind.JsonNode getJson(String namespace, String kindAndName) {
    Processes.Result r = kubectl("-n", namespace, "get", kindAndName, "-o", "json");
    if (r.exitCode() != 0) {
      if (r.output().contains("NotFound")) {
        return null;
      }
      throw new AssertionError("kubectl get " + kindAndName + ": " + r.output());
    }
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.output());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A kubeconfig holding a token of {@code namespace/serviceAccount} from the TokenRequest
   * API: the credentials a Pod of that account gets.
   */
  public Path kubeconfigFor(String namespace, String serviceAccount) throws IOException {
    var issued = client.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder()
            .withNewSpec().withExpirationSeconds(3600L).endSpec().build());
    return tokenKubeconfig(namespace + "-" + serviceAccount, issued.getStatus().getToken());
  }

  /** A kubeconfig that authenticates with a bearer token. */
  public Path tokenKubeconfig(String name, String token) throws IOException {
    Path file = work.resolve("kubeconfig-" + name);
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: default
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: default
          user:
            token: %s
        contexts:
        - name: default
          context: {cluster: default, user: default}
        current-context: default
        """.formatted(server.apiServerUrl(), server.dataDir().resolve("server/tls/server-ca.crt"),
        token));
    return file;
  }

  /** The repository's root (where config/, examples/ and crds/ are). */
  public static Path repoRoot() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("config")) ? here : here.getParent();
  }

  /**
   * Waits until EtcdSnapshot {@code name} Succeeded, failing at once when it Failed, with its
   * last status and the kubelet's logs; returns its status.
   */
  public com.fasterxml.jackson.databind.JsonNode awaitSnapshotSucceeded(String namespace,
      String name) {
    java.util.concurrent.atomic.AtomicReference<com.fasterxml.jackson.databind.JsonNode> last =
        new java.util.concurrent.atomic.AtomicReference<>();
    try {
      await("EtcdSnapshot " + name + " Succeeded", Duration.ofSeconds(180), () -> {
        var s = getJson(namespace, "etcdsnapshot/" + name);
        last.set(s);
        String phase = s == null ? "" : s.path("status").path("phase").asText();
        if (phase.equals("Failed")) {
          throw new AssertionError("EtcdSnapshot " + name + " Failed: " + s.path("status"));
        }
        return phase.equals("Succeeded");
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast status: "
          + (last.get() == null ? null : last.get().path("status")) + "\n"
          + kubelet().allLogs(), e);
    }
    return last.get().path("status");
  }

  /** Waits until {@code ok} holds, failing with what it waited for. */
  public static void await(String what, Duration timeout, BooleanSupplier ok) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (ok.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what
        + (last == null ? "" : " (last error: " + last + ")"));
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    failures.add(context.getDisplayName());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (work == null) {
      return;
    }
    if (!failures.isEmpty()) {
      dumpLogs();
    }
    if (kubelet != null) {
      kubelet.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
    if (s3 != null) {
      try {
        s3.stop();
      } catch (Exception e) {
        // going away anyway
      }
    }
    if (network != null) {
      network.close();
    }
    if (failures.isEmpty()) {
      deleteTree(work);
    } else {
      System.err.println("real cluster kept for inspection: " + work);
    }
  }

  private void dumpLogs() {
    System.err.println("==== fake kubelet: every Pod's output\n" + kubelet.allLogs());
    for (String c : List.of("kube-controller-manager", "kube-apiserver")) {
      String log = server.log(c);
      String[] lines = log.split("\n");
      System.err.println("==== " + c + " (last 60 lines)\n" + String.join("\n",
          java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length)));
    }
  }

  private static void deleteTree(Path root) {
    // overlay and bind mounts live in the Pods' own mount namespaces, gone with them
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
