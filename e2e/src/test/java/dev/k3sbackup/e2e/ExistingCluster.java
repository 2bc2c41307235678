package dev.k3sbackup.e2e;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A K3s cluster that already runs, named by a kubeconfig ({@code -De2e.kubeconfig=PATH}): the
 * operator is installed with the host's {@code kubectl apply -k} of config/ (through the same
 * overlay as in Docker), and node commands run in a privileged Job on the node that enters the
 * host's namespaces with {@code nsenter}, as the restore agent does. The image
 * ({@code -De2e.image}, default {@value OperatorOverlay#DEFAULT_IMAGE}) must already be on the
 * nodes or in a registry they reach (scripts/install.sh puts it there). A restore rolls the
 * whole cluster back, so it runs only with {@code -De2e.allowRestore=true}.
 */
final class ExistingCluster implements TestCluster {

  private static final String NAMESPACE = "k3s-etcd-backup";
  private static final List<String> NSENTER = List.of("nsenter", "--target", "1", "--mount",
      "--uts", "--ipc", "--net", "--pid", "--");

  private final Path kubeconfig;
  private final String image;
  private final boolean allowRestore;
  private final KubernetesClient client;
  private int jobs;

  private ExistingCluster(Path kubeconfig, String image, boolean allowRestore) throws IOException {
    this.kubeconfig = kubeconfig;
    this.image = image;
    this.allowRestore = allowRestore;
    this.client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
  }

  static ExistingCluster connect(Path kubeconfig, String image, boolean allowRestore) {
    try {
      ExistingCluster cluster = new ExistingCluster(kubeconfig, image, allowRestore);
      cluster.install();
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read -De2e.kubeconfig=" + kubeconfig, e);
    }
  }

  private void install() throws IOException {
    Path overlay = Files.createDirectories(REPO.resolve("e2e/target/e2e-overlay"));
    Files.writeString(overlay.resolve("kustomization.yaml"), OperatorOverlay.kustomization(
        overlay.relativize(REPO.resolve("config/default")).toString(), image));
    kubectl("apply", "-k", REPO.resolve("config/crd").toString());
    kubectl("wait", "--for", "condition=established", "--timeout=60s",
        "crd/etcdsnapshots.k3sbackup.dev", "crd/etcdsnapshotschedules.k3sbackup.dev",
        "crd/etcdrestores.k3sbackup.dev");
    kubectl("apply", "-k", overlay.toString());
    kubectl("-n", NAMESPACE, "rollout", "status", "deployment/k3s-etcd-backup",
        "--timeout=300s");
  }

  private String kubectl(String... args) {
    List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig",
        kubeconfig.toString()));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(6, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", command) + " failed:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError("kubectl is needed to install onto -De2e.kubeconfig's cluster", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public KubernetesClient client() {
    return client;
  }

  /** A privileged Job on the node runs the command in the host's namespaces; its log is read. */
  @Override
  public NodeShell nodes() {
    return (node, command) -> {
      String name = "e2e-node-command-" + (++jobs) + "-" + (System.currentTimeMillis() % 100000);
      List<String> argv = new ArrayList<>(NSENTER);
      argv.addAll(List.of(command));
      Job job = new JobBuilder()
          .withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
          .withNewSpec().withBackoffLimit(0).withTtlSecondsAfterFinished(600)
            .withNewTemplate().withNewSpec()
              .withNodeName(node).withHostPID(true).withRestartPolicy("Never")
              .addNewToleration().withOperator("Exists").endToleration()
              .addNewContainer().withName("command").withImage(image)
                .withImagePullPolicy("IfNotPresent").withCommand(argv)
                .withNewSecurityContext().withPrivileged(true).withRunAsUser(0L)
                .endSecurityContext()
              .endContainer()
            .endSpec().endTemplate()
          .endSpec().build();
      client.batch().v1().jobs().inNamespace(NAMESPACE).resource(job).create();
      try {
        var pods = client.pods().inNamespace(NAMESPACE).withLabels(Map.of("job-name", name));
        Pod pod = Eventually.await("the command's pod on " + node + " to finish",
            Duration.ofMinutes(3), Duration.ofSeconds(2),
            () -> pods.list().getItems().stream().filter(p -> terminated(p).isPresent())
                .findFirst(),
            () -> pods.list().getItems().stream().map(p -> p.getMetadata().getName() + " "
                + p.getStatus().getPhase()).toList().toString());
        String log = client.pods().inNamespace(NAMESPACE).withName(pod.getMetadata().getName())
            .getLog();
        return new NodeShell.Result(terminated(pod).orElseThrow().getExitCode(), log);
      } finally {
        client.batch().v1().jobs().inNamespace(NAMESPACE).withName(name)
            .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
            .delete();
      }
    };
  }

  private static Optional<ContainerStateTerminated> terminated(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(s -> s.getState() != null && s.getState().getTerminated() != null)
        .map(s -> s.getState().getTerminated()).findFirst();
  }

  @Override
  public Optional<String> restoreRefusal() {
    return allowRestore ? Optional.empty() : Optional.of("a restore rolls the whole cluster of "
        + kubeconfig + " back to the snapshot; allow it with -De2e.allowRestore=true");
  }

  @Override
  public String diagnostics() {
    StringBuilder out = new StringBuilder("---- cluster of " + kubeconfig + " ----\n");
    for (String[] args : List.of(
        new String[] {"-n", NAMESPACE, "get", "etcdsnapshots,etcdsnapshotschedules,etcdrestores,"
            + "jobs,pods", "-o", "wide"},
        new String[] {"-n", NAMESPACE, "get", "events", "--sort-by=.lastTimestamp"},
        new String[] {"-n", NAMESPACE, "logs", "deployment/k3s-etcd-backup", "--tail=150"})) {
      out.append("$ kubectl ").append(String.join(" ", args)).append('\n');
      try {
        out.append(kubectl(args));
      } catch (AssertionError e) {
        out.append(e.getMessage()).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    client.close();
  }
}
