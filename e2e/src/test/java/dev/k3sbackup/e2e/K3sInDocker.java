package dev.k3sbackup.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.testcontainers.containers.Container;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A single K3s server with embedded etcd ({@code --cluster-init}) in Docker, through the
 * Testcontainers k3s module, with our image imported into its containerd and the operator
 * installed by {@code kubectl apply -k} of config/ inside it.
 *
 * <p>The container runs K3s as a server node runs it, under a supervisor: its PID 1 is
 * {@code supervise-k3s} (test resources, k3s/), which runs {@code k3s server} as a child and
 * restarts it unless stopped, and {@code /bin/systemctl} is a stand-in that stops and starts that
 * child. So the restore agent's real host commands ({@code nsenter --target 1 ... systemctl stop
 * k3s}, {@code k3s server --cluster-reset ...}, {@code systemctl start k3s}) run unchanged; the
 * image has no systemd, and K3s as PID 1 could not be stopped without ending the container.
 */
final class K3sInDocker implements TestCluster {

  static final String K3S_IMAGE = System.getProperty("k3s.image", "rancher/k3s:v1.31.4-k3s1");
  private static final String IN_CONTAINER = "/e2e";
  /** A regular file, rwxr-xr-x (tar's mode: type bits and permissions). */
  private static final int EXECUTABLE = 0100755;
  private static final String[] CRDS = {"crd/etcdsnapshots.k3sbackup.dev",
      "crd/etcdsnapshotschedules.k3sbackup.dev", "crd/etcdrestores.k3sbackup.dev"};

  private final K3sContainer k3s;
  private final KubernetesClient client;

  private K3sInDocker(K3sContainer k3s) {
    this.k3s = k3s;
    this.client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build();
  }

  /** Starts K3s, imports {@code tarball} (the image named {@code image}), installs. */
  static K3sInDocker start(Path tarball, String image) {
    if (!Files.isRegularFile(tarball)) {
      throw new AssertionError("no image tarball at " + tarball + ": build it with "
          + "scripts/build-image.sh (or name one with -Dimage.tarball=PATH)");
    }
    K3sContainer container = new K3sContainer(DockerImageName.parse(K3S_IMAGE));
    container.withCopyToContainer(Transferable.of(resource("supervise-k3s"), EXECUTABLE),
        "/bin/supervise-k3s");
    container.withCopyToContainer(Transferable.of(resource("systemctl"), EXECUTABLE),
        "/bin/systemctl");
    container.withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("/bin/supervise-k3s"));
    // the supervisor runs `k3s ARGS`: the module's own arguments, plus embedded etcd
    container.withCommand("server", "--cluster-init", "--disable=traefik",
        "--tls-san=" + container.getHost());
    container.withStartupTimeout(Duration.ofMinutes(4));
    container.start();
    K3sInDocker cluster = new K3sInDocker(container);
    try {
      cluster.importImage(tarball, image);
      cluster.install(image);
      return cluster;
    } catch (RuntimeException | Error e) {
      System.out.println(cluster.diagnostics());
      cluster.close();
      throw e;
    }
  }

  /** {@code k3s ctr images import}, as an admin does on each node without a registry. */
  private void importImage(Path tarball, String image) {
    String inside = "/tmp/" + tarball.getFileName();
    k3s.copyFileToContainer(MountableFile.forHostPath(tarball), inside);
    exec("k3s", "ctr", "images", "import", inside);
    exec("rm", "-f", inside);
    String listed = exec("k3s", "ctr", "images", "ls", "-q");
    String wanted = (image.contains("/") ? "" : "docker.io/library/") + image;
    if (listed.lines().noneMatch(wanted::equals)) {
      throw new AssertionError("after the import containerd has no " + wanted + " (the name the "
          + "kubelet looks for), only:\n" + listed);
    }
  }

  /** kubectl apply -k: the CRDs first (established before any resource of theirs), then all. */
  private void install(String image) {
    k3s.copyFileToContainer(MountableFile.forHostPath(REPO.resolve("config")),
        IN_CONTAINER + "/config");
    k3s.copyFileToContainer(MountableFile.forHostPath(REPO.resolve("crds")),
        IN_CONTAINER + "/crds");
    k3s.copyFileToContainer(Transferable.of(OperatorOverlay.kustomization("../config/default",
        image)), IN_CONTAINER + "/overlay/kustomization.yaml");
    exec("k3s", "kubectl", "apply", "-k", IN_CONTAINER + "/config/crd");
    List<String> wait = new ArrayList<>(List.of("k3s", "kubectl", "wait", "--for",
        "condition=established", "--timeout=60s"));
    wait.addAll(List.of(CRDS));
    exec(wait.toArray(String[]::new));
    exec("k3s", "kubectl", "apply", "-k", IN_CONTAINER + "/overlay");
    exec("k3s", "kubectl", "-n", "k3s-etcd-backup", "rollout", "status",
        "deployment/k3s-etcd-backup", "--timeout=300s");
  }

  @Override
  public KubernetesClient client() {
    return client;
  }

  @Override
  public NodeShell nodes() {
    return (node, command) -> {
      String name = client.nodes().list().getItems().get(0).getMetadata().getName();
      if (!name.equals(node)) {
        throw new AssertionError("the container is node " + name + ", not " + node);
      }
      Container.ExecResult r = execResult(command);
      return new NodeShell.Result(r.getExitCode(), r.getStdout() + r.getStderr());
    };
  }

  @Override
  public Optional<String> restoreRefusal() {
    return Optional.empty();
  }

  @Override
  public String diagnostics() {
    StringBuilder out = new StringBuilder("---- K3s in Docker (" + K3S_IMAGE + ") ----\n");
    for (String[] command : List.of(
        new String[] {"k3s", "kubectl", "get", "nodes,pods", "-A", "-o", "wide"},
        new String[] {"k3s", "kubectl", "-n", "k3s-etcd-backup", "get",
            "etcdsnapshots,etcdsnapshotschedules,etcdrestores,jobs", "-o", "wide"},
        new String[] {"k3s", "kubectl", "-n", "k3s-etcd-backup", "get", "events",
            "--sort-by=.lastTimestamp"},
        new String[] {"k3s", "kubectl", "-n", "k3s-etcd-backup", "logs",
            "deployment/k3s-etcd-backup", "--tail=150", "--all-containers"},
        new String[] {"ls", "-la", "/var/lib/rancher/k3s/server/db",
            "/var/lib/rancher/k3s/server/db/snapshots"},
        new String[] {"sh", "-c", "cat /var/lib/rancher/k3s/server/k3s-etcd-backup/*.json"})) {
      out.append("$ ").append(String.join(" ", command)).append('\n');
      try {
        Container.ExecResult r = execResult(command);
        out.append(r.getStdout()).append(r.getStderr());
      } catch (RuntimeException e) {
        out.append("(").append(e.getMessage()).append(")\n");
      }
    }
    String logs = k3s.getLogs();
    out.append("---- the container's log, last 80 lines ----\n");
    List<String> lines = logs.lines().toList();
    lines.subList(Math.max(0, lines.size() - 80), lines.size())
        .forEach(l -> out.append(l).append('\n'));
    return out.toString();
  }

  @Override
  public void close() {
    client.close();
    k3s.stop();
  }

  private String exec(String... command) {
    Container.ExecResult r = execResult(command);
    if (r.getExitCode() != 0) {
      throw new AssertionError("in the K3s container: " + String.join(" ", command) + " exited "
          + r.getExitCode() + ":\n" + r.getStdout() + r.getStderr());
    }
    return r.getStdout();
  }

  private Container.ExecResult execResult(String... command) {
    try {
      return k3s.execInContainer(command);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = K3sInDocker.class.getResourceAsStream("/k3s/" + name)) {
      if (in == null) {
        throw new IllegalStateException("test resource k3s/" + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
