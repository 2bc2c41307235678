package dev.k3sbackup.testing.realcluster;

import dev.k3sbackup.testing.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A K3s server node as far as what runs in it can be built here: its own network namespace and
 * address, K3s's data dir ({@code <root>/var/lib/rancher/k3s}) with K3s's TLS layout and token,
 * etcd v3.6 serving client TLS on {@code 127.0.0.1:2379} and the node's address as K3s's embedded
 * etcd does (data in {@code server/db/etcd}, member named {@code <node>-<8 hex>}), and
 * kube-apiserver on {@code :6443}, kube-controller-manager and kube-scheduler run with the flags
 * K3s gives them. They are separate upstream processes where K3s runs them in one: K3s itself is
 * not served by the Go module proxy (see {@code scripts/real-k3s.sh}).
 */
public final class ServerNode implements AutoCloseable {

  /** The programs {@code scripts/real-control-plane.sh} builds. */
  public record Binaries(Path dir) {
    public Path get(String name) {
      return dir.resolve(name);
    }
  }

  private final String name;
  private final Path root;
  private final Path dataDir;
  private final NodeNetwork.Endpoint endpoint;
  private final Binaries bin;
  private final String memberName;
  private final Map<String, Process> processes = new LinkedHashMap<>();

  private ServerNode(String name, Path root, NodeNetwork.Endpoint endpoint, Binaries bin) {
    this.name = name;
    this.root = root;
    this.dataDir = root.resolve("var/lib/rancher/k3s");
    this.endpoint = endpoint;
    this.bin = bin;
    byte[] suffix = new byte[4];
    new SecureRandom().nextBytes(suffix);
    this.memberName = name + "-" + HexFormat.of().formatHex(suffix);
  }

  /**
   * Starts the first server of a cluster ({@code --cluster-init}): a new etcd cluster of one
   * member, then the API server, controller manager and scheduler; returns once the API server
   * is ready.
   */
  public static ServerNode startFirst(String name, Path root, NodeNetwork network, K3sPki pki,
      Binaries bin) {
    NodeNetwork.Endpoint endpoint = network.addNode(name);
    ServerNode node = new ServerNode(name, root, endpoint, bin);
    pki.issueServer(node.dataDir, name, endpoint.address());
    node.startEtcd();
    node.startControlPlane();
    return node;
  }

  public String name() {
    return name;
  }

  /** The node's InternalIP. */
  public String address() {
    return endpoint.address();
  }

  public NodeNetwork.Endpoint endpoint() {
    return endpoint;
  }

  /** The directory standing for the node's {@code /}. */
  public Path root() {
    return root;
  }

  /** K3s's data dir on this node, {@code <root>/var/lib/rancher/k3s}. */
  public Path dataDir() {
    return dataDir;
  }

  /** etcd's member name, as K3s names it. */
  public String memberName() {
    return memberName;
  }

  /** The API server's URL as the tests reach it. */
  public String apiServerUrl() {
    return "https://" + endpoint.address() + ":6443";
  }

  private Path tls(String file) {
    return dataDir.resolve("server/tls").resolve(file);
  }

  /** K3s's etcd data dir on this node, {@code server/db/etcd}. */
  public Path etcdDataDir() {
    return dataDir.resolve("server/db/etcd");
  }

  private void startEtcd() {
    Path db = etcdDataDir();
    String ip = endpoint.address();
    start("etcd", List.of(bin.get("etcd").toString(),
        "--name", memberName,
        "--data-dir", db.toString(),
        "--listen-client-urls", "https://127.0.0.1:2379,https://" + ip + ":2379",
        "--advertise-client-urls", "https://" + ip + ":2379",
        "--listen-peer-urls", "https://" + ip + ":2380",
        "--initial-advertise-peer-urls", "https://" + ip + ":2380",
        "--initial-cluster", memberName + "=https://" + ip + ":2380",
        "--initial-cluster-state", "new",
        "--listen-metrics-urls", "http://127.0.0.1:2381",
        "--client-cert-auth", "--trusted-ca-file", tls("etcd/server-ca.crt").toString(),
        "--cert-file", tls("etcd/server-client.crt").toString(),
        "--key-file", tls("etcd/server-client.key").toString(),
        "--peer-client-cert-auth", "--peer-trusted-ca-file", tls("etcd/peer-ca.crt").toString(),
        "--peer-cert-file", tls("etcd/peer-server-client.crt").toString(),
        "--peer-key-file", tls("etcd/peer-server-client.key").toString(),
        "--heartbeat-interval", "500", "--election-timeout", "5000",
        "--logger", "zap", "--log-outputs", "stderr"));
    awaitTrue("etcd on " + name, Duration.ofSeconds(60), () -> etcdctl("endpoint", "health")
        .exitCode() == 0);
  }

  /** Runs etcdctl inside the node against its local etcd, with K3s's client certificate. */
  public Processes.Result etcdctl(String... args) {
    List<String> cmd = new ArrayList<>(endpoint.enter());
    cmd.addAll(List.of(bin.get("etcdctl").toString(), "--endpoints", "https://127.0.0.1:2379",
        "--cacert", tls("etcd/server-ca.crt").toString(),
        "--cert", tls("etcd/client.crt").toString(),
        "--key", tls("etcd/client.key").toString(), "--command-timeout", "10s"));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, Map.of("ETCDCTL_API", "3"), null);
  }

  /**
   * Stops what K3s runs in its one server process, as {@code systemctl stop k3s} does: the
   * scheduler, the controller manager, the API server and etcd (each SIGTERM, SIGKILL after
   * 10 s). The data dir stays.
   */
  public void stopK3s() {
    for (String component : List.of("kube-scheduler", "kube-controller-manager",
        "kube-apiserver", "etcd")) {
      stop(component);
    }
  }

  /**
   * Starts them again, as {@code systemctl start k3s} does: etcd on its data dir, then the API
   * server (returns once it is ready), the controller manager and the scheduler.
   */
  public void startK3s() {
    startEtcd();
    startControlPlane();
  }

  /**
   * Restores {@code snapshot} into etcd's data dir as K3s's {@code --cluster-reset-restore-path}
   * does, with etcd v3.6's etcdutl (hash check on, no revision bump, not marked compacted): the
   * data dir is moved aside to {@code server/db/etcd-old-<unix>} and the snapshot restored as this
   * node's member. K3s must be stopped first ({@link #stopK3s()}).
   *
   * @return where the old data dir went
   */
  public Path restoreEtcd(Path snapshot) {
    if (processes.containsKey("etcd")) {
      throw new IllegalStateException("stop K3s on " + name + " before restoring etcd's data");
    }
    Path aside = etcdDataDir().resolveSibling("etcd-old-" + System.nanoTime());
    try {
      Files.move(etcdDataDir(), aside);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String peer = "https://" + endpoint.address() + ":2380";
    Processes.run(List.of(bin.get("etcdutl").toString(), "snapshot", "restore",
        snapshot.toString(), "--name", memberName, "--data-dir", etcdDataDir().toString(),
        "--initial-cluster", memberName + "=" + peer, "--initial-advertise-peer-urls", peer),
        Map.of(), null).requireSuccess(List.of("etcdutl snapshot restore " + snapshot));
    return aside;
  }

  private void startControlPlane() {
    startApiServer();
    startControllers();
  }

  private void startApiServer() {
    String ip = endpoint.address();
    start("kube-apiserver", List.of(bin.get("kube-apiserver").toString(),
        "--advertise-address", ip, "--bind-address", "0.0.0.0", "--secure-port", "6443",
        "--etcd-servers", "https://127.0.0.1:2379",
        "--etcd-cafile", tls("etcd/server-ca.crt").toString(),
        "--etcd-certfile", tls("etcd/client.crt").toString(),
        "--etcd-keyfile", tls("etcd/client.key").toString(),
        "--client-ca-file", tls("client-ca.crt").toString(),
        "--tls-cert-file", tls("serving-kube-apiserver.crt").toString(),
        "--tls-private-key-file", tls("serving-kube-apiserver.key").toString(),
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--api-audiences", "https://kubernetes.default.svc.cluster.local,k3s",
        "--service-account-key-file", tls("service.key").toString(),
        "--service-account-signing-key-file", tls("service.key").toString(),
        "--service-cluster-ip-range", "10.43.0.0/16",
        "--service-node-port-range", "30000-32767",
        "--authorization-mode", "Node,RBAC",
        "--enable-admission-plugins", "NodeRestriction",
        "--allow-privileged=true", "--anonymous-auth=false", "--profiling=false",
        "--kubelet-client-certificate", tls("client-kube-apiserver.crt").toString(),
        "--kubelet-client-key", tls("client-kube-apiserver.key").toString(),
        "--requestheader-client-ca-file", tls("request-header-ca.crt").toString(),
        "--requestheader-allowed-names", "system:auth-proxy",
        "--requestheader-username-headers", "X-Remote-User",
        "--requestheader-group-headers", "X-Remote-Group",
        "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
        "--proxy-client-cert-file", tls("client-auth-proxy.crt").toString(),
        "--proxy-client-key-file", tls("client-auth-proxy.key").toString(),
        "--storage-backend", "etcd3"));
    Path admin = dataDir.resolve("server/cred/admin.kubeconfig");
    awaitTrue("kube-apiserver on " + name, Duration.ofSeconds(90), () -> kubectl(admin,
        "get", "--raw", "/readyz").exitCode() == 0);
  }

  private void startControllers() {
    Path controller = dataDir.resolve("server/cred/controller.kubeconfig");
    start("kube-controller-manager", List.of(bin.get("kube-controller-manager").toString(),
        "--kubeconfig", controller.toString(),
        "--authentication-kubeconfig", controller.toString(),
        "--authorization-kubeconfig", controller.toString(),
        "--bind-address", "127.0.0.1", "--secure-port", "10257",
        "--cluster-signing-kube-apiserver-client-cert-file", tls("client-ca.crt").toString(),
        "--cluster-signing-kube-apiserver-client-key-file", tls("client-ca.key").toString(),
        "--cluster-signing-kubelet-client-cert-file", tls("client-ca.crt").toString(),
        "--cluster-signing-kubelet-client-key-file", tls("client-ca.key").toString(),
        "--cluster-signing-kubelet-serving-cert-file", tls("server-ca.crt").toString(),
        "--cluster-signing-kubelet-serving-key-file", tls("server-ca.key").toString(),
        "--cluster-signing-legacy-unknown-cert-file", tls("server-ca.crt").toString(),
        "--cluster-signing-legacy-unknown-key-file", tls("server-ca.key").toString(),
        "--root-ca-file", tls("server-ca.crt").toString(),
        "--service-account-private-key-file", tls("service.key").toString(),
        "--use-service-account-credentials=true",
        "--controllers", "*,tokencleaner,-service,-route,-cloud-node-lifecycle",
        "--allocate-node-cidrs=true", "--cluster-cidr", "10.42.0.0/16",
        "--configure-cloud-routes=false", "--profiling=false",
        "--terminated-pod-gc-threshold", "1000"));
    Path scheduler = dataDir.resolve("server/cred/scheduler.kubeconfig");
    start("kube-scheduler", List.of(bin.get("kube-scheduler").toString(),
        "--kubeconfig", scheduler.toString(),
        "--authentication-kubeconfig", scheduler.toString(),
        "--authorization-kubeconfig", scheduler.toString(),
        "--bind-address", "127.0.0.1", "--secure-port", "10259", "--profiling=false"));
  }

  /** Runs the real kubectl inside the node with {@code kubeconfig}. */
  public Processes.Result kubectl(Path kubeconfig, String... args) {
    List<String> cmd = new ArrayList<>(endpoint.enter());
    cmd.addAll(List.of(bin.get("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, Map.of(), null);
  }

  /** What {@code component} (etcd, kube-apiserver, ...) logged. */
  public String log(String component) {
    return Processes.read(logFile(component));
  }

  private Path logFile(String component) {
    return root.resolve("log").resolve(component + ".log");
  }

  private void stop(String component) {
    Process p = processes.remove(component);
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void start(String component, List<String> command) {
    try {
      Files.createDirectories(logFile(component).getParent());
      List<String> cmd = new ArrayList<>(endpoint.enter());
      cmd.addAll(command);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(component).toFile())).start();
      processes.put(component, p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + component, e);
    }
  }

  private void awaitTrue(String what, Duration timeout, java.util.function.BooleanSupplier ok) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (ok.getAsBoolean()) {
        return;
      }
      for (var e : processes.entrySet()) {
        if (!e.getValue().isAlive()) {
          throw new IllegalStateException(e.getKey() + " on " + name + " exited "
              + e.getValue().exitValue() + ":\n" + tail(log(e.getKey())));
        }
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException(what + " not ready after " + timeout + ":\n"
        + processes.keySet().stream().map(c -> "--- " + c + "\n" + tail(log(c)))
            .reduce("", String::concat));
  }

  private static String tail(String log) {
    String[] lines = log.split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0,
        lines.length - 30), lines.length)) + "\n";
  }

  @Override
  public void close() {
    List<String> order = new ArrayList<>(processes.keySet());
    java.util.Collections.reverse(order);
    for (String component : order) {
      Process p = processes.get(component);
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }
}
