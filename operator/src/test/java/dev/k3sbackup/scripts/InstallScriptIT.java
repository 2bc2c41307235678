package dev.k3sbackup.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/install.sh, the README's main command, up to the point where it would change a
 * cluster: no K3s can run here, so the cluster is a small stand-in kubectl
 * (src/test/resources/install/kubectl) that answers the script's read-only questions and
 * records every call. Proves the refusals (no kubectl, no cluster, no embedded etcd), what a
 * {@code --dry-run} would do on a single server, with a registry and on a multi-node cluster (the
 * overlays it writes are rendered by the real {@code kubectl kustomize}), and that a server node
 * without the image stops the install before anything is applied, saying what to run there.
 */
class InstallScriptIT {

  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final String IMAGE = "k3s-etcd-backup:0.1.0";
  /** What the script needs from the machine; kubectl and k3s are added per test. */
  private static final List<String> TOOLS = List.of("bash", "sed", "tr", "grep", "hostname", "id",
      "date", "tail", "head", "mkdir", "basename", "dirname", "sleep", "cat", "sort", "env");

  @TempDir
  Path work;
  private Path cluster;
  private Path path;

  @BeforeEach
  void machine() throws Exception {
    cluster = Files.createDirectories(work.resolve("cluster"));
    path = Files.createDirectories(work.resolve("path"));
    for (String tool : TOOLS) {
      Files.createSymbolicLink(path.resolve(tool), Path.of(which(tool)));
    }
    Files.createDirectories(cluster.resolve("bin"));
    Files.writeString(cluster.resolve("calls"), "");
  }

  @Test
  void refusesWithoutKubectl() throws Exception {
    Run r = install();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("kubectl not found on PATH (nor k3s)");
  }

  @Test
  void refusesWhenTheKubeconfigReachesNoCluster() throws Exception {
    withKubectl();
    Files.writeString(cluster.resolve("unreachable"), "The connection to the server "
        + "127.0.0.1:6443 was refused - did you specify the right host or port?\n");

    Run r = install();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("kubectl cannot reach a cluster with context 'fake-k3s'",
        "KUBECONFIG=/etc/rancher/k3s/k3s.yaml", "127.0.0.1:6443 was refused");
    assertThat(calls()).doesNotContain("nodes");
  }

  @Test
  void refusesAK3sWithoutEmbeddedEtcd() throws Exception {
    withKubectl();
    nodes("server-1\t\t10.0.0.11");

    Run r = install("--dry-run");

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("no node is labelled node-role.kubernetes.io/etcd=true",
        "--cluster-init");
    assertThat(r.output).doesNotContain("+ ");
  }

  @Test
  void usesK3sKubectlWhereKubectlIsMissing() throws Exception {
    Files.copy(resource("kubectl"), cluster.resolve("bin/kubectl"));
    executable(cluster.resolve("bin/kubectl"));
    Files.copy(resource("k3s"), path.resolve("k3s"));
    executable(path.resolve("k3s"));
    nodes("server-1\ttrue\t10.0.0.11");

    Run r = install("--dry-run", "--no-snapshot");

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("+ k3s kubectl apply -k config/default");
  }

  @Test
  void dryRunOnASingleServerBuildsImportsHereAppliesConfigDefaultAndTakesASnapshot()
      throws Exception {
    withKubectl();
    Files.copy(resource("k3s"), path.resolve("k3s"));
    executable(path.resolve("k3s"));
    nodes("server-1\ttrue\t10.0.0.11");
    Path socket = work.resolve("containerd.sock");
    try (ServerSocketChannel containerd = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      containerd.bind(UnixDomainSocketAddress.of(socket));

      Run r = install(Map.of("K3S_CONTAINERD_SOCKET", socket.toString()), "--dry-run");

      assertThat(r.exit).as(r.output).isZero();
      List<String> plan = r.plan();
      String sudo = isRoot() ? "" : "sudo ";
      assertThat(plan).containsExactly(
          "+ bash scripts/build-image.sh",
          "+ " + sudo + "k3s ctr images import operator/target/k3s-etcd-backup-image.tar",
          "+ kubectl apply -k config/crd",
          "+ kubectl wait --for condition=established --timeout=60s "
              + "crd/etcdsnapshots.k3sbackup.dev crd/etcdsnapshotschedules.k3sbackup.dev "
              + "crd/etcdrestores.k3sbackup.dev",
          "+ kubectl apply -k config/default",
          "+ kubectl -n k3s-etcd-backup rollout status deployment/k3s-etcd-backup "
              + "--timeout=300s",
          "+ kubectl apply -k config/default-schedule",
          "+ kubectl create -f - <<EOF");
      assertThat(r.output).contains("kind: EtcdSnapshot", "namespace: k3s-etcd-backup",
          "namePrefix: k3sbackup-on-demand", "would wait until every etcd node lists "
              + "docker.io/library/k3s-etcd-backup:0.1.0");
    }
    assertThat(calls()).as("only questions were asked").allMatch(c ->
        c.startsWith("kubectl get ") || c.startsWith("kubectl config "));
  }

  @Test
  void dryRunWithARegistryPushesThereAndPointsOperatorAndAgentsAtThePushedImage()
      throws Exception {
    withKubectl();
    nodes("server-1\ttrue\t10.0.0.11", "agent-1\t\t10.0.0.21");

    Run r = install(Map.of("IMAGE_REGISTRY", "registry.example.com:5000"), "--dry-run",
        "--no-snapshot");

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.plan()).containsExactly(
        "+ bash scripts/build-image.sh --registry registry.example.com:5000",
        "+ kubectl apply -k config/crd",
        "+ kubectl wait --for condition=established --timeout=60s "
            + "crd/etcdsnapshots.k3sbackup.dev crd/etcdsnapshotschedules.k3sbackup.dev "
            + "crd/etcdrestores.k3sbackup.dev",
        "+ kubectl apply -k target/install/overlay",
        "+ kubectl -n k3s-etcd-backup rollout status deployment/k3s-etcd-backup "
            + "--timeout=300s",
        "+ kubectl apply -k config/default-schedule");
    Deployment operator = renderedOperator();
    var pod = operator.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getImage())
        .isEqualTo("registry.example.com:5000/" + IMAGE);
    assertThat(agentImage(operator)).isEqualTo("registry.example.com:5000/" + IMAGE);
    assertThat(pod.getNodeSelector()).as("a registry serves every node").isNullOrEmpty();
  }

  @Test
  void dryRunOnAMultiNodeClusterImportsOnEveryServerOverSshAndKeepsTheOperatorThere()
      throws Exception {
    withKubectl();
    nodes("server-1\ttrue\t10.0.0.11", "server-2\ttrue\t10.0.0.12",
        "server-3\ttrue\t10.0.0.13", "agent-1\t\t10.0.0.21");

    Run r = install("--dry-run", "--ssh", "admin", "--skip-build", "--no-snapshot");

    assertThat(r.exit).as(r.output).isZero();
    List<String> plan = r.plan();
    for (String address : List.of("10.0.0.11", "10.0.0.12", "10.0.0.13")) {
      assertThat(plan).contains("+ ssh -o BatchMode=yes admin@" + address
          + " sudo k3s ctr images import - < operator/target/k3s-etcd-backup-image.tar");
    }
    assertThat(plan).noneMatch(l -> l.contains("10.0.0.21")).noneMatch(l -> l.contains("build"))
        .contains("+ kubectl apply -k target/install/overlay");
    Deployment operator = renderedOperator();
    var pod = operator.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).as("the image is on the etcd nodes only")
        .containsEntry("node-role.kubernetes.io/etcd", "true");
    assertThat(pod.getTolerations()).extracting(t -> t.getKey())
        .contains("node-role.kubernetes.io/control-plane", "CriticalAddonsOnly");
    assertThat(pod.getContainers().get(0).getImage()).isEqualTo(IMAGE);
    assertThat(agentImage(operator)).isEqualTo(IMAGE);
  }

  @Test
  void aServerNodeWithoutTheImageStopsTheInstallBeforeAnythingIsAppliedNamingWhatToRun()
      throws Exception {
    withKubectl();
    nodes("server-1\ttrue\t10.0.0.11", "server-2\ttrue\t10.0.0.12");
    Files.writeString(cluster.resolve("images-server-1"),
        "docker.io/rancher/mirrored-pause:3.6 docker.io/library/" + IMAGE);
    Files.writeString(cluster.resolve("images-server-2"), "docker.io/rancher/mirrored-pause:3.6");
    Path tarball = Files.writeString(work.resolve("image.tar"), "an OCI tarball");

    Run r = install("--tarball", tarball.toString());

    assertThat(r.exit).as(r.output).isEqualTo(3);
    assertThat(r.output).contains("is not on these etcd server nodes: server-2.",
        "scp " + tarball + " 10.0.0.12:/tmp/ && ssh 10.0.0.12 sudo k3s ctr images import "
            + "/tmp/image.tar", "--ssh USER", "Nothing was applied to the cluster.");
    assertThat(r.output).doesNotContain("10.0.0.11:/tmp/");
    assertThat(calls()).noneMatch(c -> c.contains("apply") || c.contains("create"));
  }

  @Test
  void badArgumentsAreRefusedNamingTheFlag() throws Exception {
    withKubectl();
    Run timeout = install("--timeout", "soon");
    Run image = install("--image", "k3s-etcd-backup");
    Run unknown = install("--registy", "r");

    assertThat(timeout.exit).isEqualTo(2);
    assertThat(timeout.output).contains("--timeout 'soon' must be a number of seconds");
    assertThat(image.exit).isEqualTo(2);
    assertThat(image.output).contains("--image 'k3s-etcd-backup' has no tag");
    assertThat(unknown.exit).isEqualTo(2);
    assertThat(unknown.output).contains("unknown argument '--registy'");
    assertThat(calls()).isEmpty();
  }

  // ---- helpers ----

  private record Run(int exit, String output) {
    /** The commands a dry run printed, in order (the lines starting with "+ "). */
    List<String> plan() {
      return output.lines().filter(l -> l.startsWith("+ ")).toList();
    }
  }

  private Run install(String... args) throws Exception {
    return install(Map.of(), args);
  }

  private Run install(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(which("bash"),
        REPO.resolve("scripts/install.sh").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.equals("IMAGE_REGISTRY")
        || k.equals("KUBECONFIG") || k.equals("K3S_CONTAINERD_SOCKET"));
    pb.environment().put("PATH", path.toString());
    pb.environment().put("FAKE_CLUSTER", cluster.toString());
    pb.environment().putIfAbsent("K3S_CONTAINERD_SOCKET", work.resolve("no-k3s-here").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("install.sh finished").isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private void withKubectl() throws Exception {
    Files.copy(resource("kubectl"), path.resolve("kubectl"));
    executable(path.resolve("kubectl"));
  }

  private void nodes(String... rows) throws IOException {
    Files.writeString(cluster.resolve("nodes.tsv"), String.join("\n", rows) + "\n");
  }

  private List<String> calls() throws IOException {
    return Files.readAllLines(cluster.resolve("calls"));
  }

  /** The operator Deployment as the real kubectl renders the overlay the script wrote. */
  private static Deployment renderedOperator() throws Exception {
    Process p = new ProcessBuilder("kubectl", "kustomize",
        REPO.resolve("target/install/overlay").toString()).redirectErrorStream(true).start();
    String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize target/install/overlay: " + yaml).isZero();
    for (String doc : yaml.split("(?m)^---$")) {
      HasMetadata resource = Serialization.unmarshal(doc);
      if (resource instanceof Deployment d && d.getMetadata().getName().equals("k3s-etcd-backup")) {
        return d;
      }
    }
    throw new AssertionError("no operator Deployment in the rendered overlay:\n" + yaml);
  }

  private static String agentImage(Deployment operator) {
    return operator.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals("AGENT_IMAGE")).findFirst().orElseThrow().getValue();
  }

  private static Path resource(String name) throws Exception {
    return Path.of(InstallScriptIT.class.getResource("/install/" + name).toURI());
  }

  private static void executable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static boolean isRoot() throws Exception {
    Process p = new ProcessBuilder("id", "-u").start();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim()
        .equals("0");
  }

  private static String which(String tool) throws Exception {
    for (String dir : System.getenv("PATH").split(":")) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError(tool + " is not on PATH");
  }
}
