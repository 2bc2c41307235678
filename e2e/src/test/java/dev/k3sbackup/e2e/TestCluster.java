package dev.k3sbackup.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Optional;

/** The real K3s an end-to-end test runs on, with the operator installed from config/default. */
public interface TestCluster extends AutoCloseable {

  /** Where the repository is (config/, crds/): the e2e module's parent. */
  Path REPO = Path.of("..").toAbsolutePath().normalize();

  /** A client with the cluster's admin credentials. */
  KubernetesClient client();

  /** Runs commands on the cluster's nodes. */
  NodeShell nodes();

  /** Why a restore (which rolls the whole cluster back) must not run here; empty if it may. */
  Optional<String> restoreRefusal();

  /** What to print when a test fails: the resources, the operator's log, the node's log. */
  String diagnostics();

  @Override
  void close();

  /**
   * The cluster the system properties name: {@code -De2e.kubeconfig=PATH} for an existing one,
   * else K3s in Docker with the image of {@code -Dimage.tarball} (default the one
   * scripts/build-image.sh writes).
   */
  static TestCluster fromSystemProperties() {
    String image = System.getProperty("e2e.image", OperatorOverlay.DEFAULT_IMAGE);
    String kubeconfig = System.getProperty(RealK3sCondition.KUBECONFIG, "");
    if (!kubeconfig.isBlank()) {
      return ExistingCluster.connect(Path.of(kubeconfig), image,
          Boolean.getBoolean("e2e.allowRestore"));
    }
    String tarball = System.getProperty("image.tarball", "");
    Path imageTarball = tarball.isBlank()
        ? REPO.resolve("operator/target/k3s-etcd-backup-image.tar") : Path.of(tarball);
    return K3sInDocker.start(imageTarball, image);
  }
}
