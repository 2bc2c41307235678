package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.realcluster.RealCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The kubectl plugin as a user runs it: the built file copied onto PATH, found by the real
 * kubectl ({@code kubectl etcdsnapshot ...}), against the real API server with the operator
 * installed: save and wait, list, a restore's dry run (whose preflight Job checks the file on
 * the node), delete (the file goes too).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static Path bin;
  static String saved;

  @BeforeAll
  static void install() throws Exception {
    cluster.installOperator();
    bin = Files.createDirectories(cluster.work().resolve("bin"));
    Path plugin = Path.of("target/kubectl-etcdsnapshot").toAbsolutePath();
    Files.copy(plugin, bin.resolve("kubectl-etcdsnapshot"));
    Files.copy(cluster.binaries().get("kubectl"), bin.resolve("kubectl"));
    bin.resolve("kubectl-etcdsnapshot").toFile().setExecutable(true);
  }

  private static Processes.Result kubectl(String... args) {
    // kubectl takes no flags before a plugin's name: the kubeconfig comes from KUBECONFIG
    List<String> command = new ArrayList<>(List.of(bin.resolve("kubectl").toString()));
    command.addAll(List.of(args));
    return Processes.run(command, Map.of("HOME", cluster.work().toString(),
        "KUBECONFIG", cluster.kubeconfig().toString(),
        "PATH", bin + ":" + System.getenv("PATH")), cluster.work());
  }

  @Test
  @Order(1)
  void kubectlFindsThePlugin() {
    Processes.Result plugins = kubectl("plugin", "list");
    assertThat(plugins.output()).contains(bin.resolve("kubectl-etcdsnapshot").toString());
  }

  @Test
  @Order(2)
  void saveWaitsUntilTheSnapshotIsOnTheNode() throws Exception {
    Processes.Result save = kubectl("etcdsnapshot", "save", "-n", NS, "--name", "plugin");

    assertThat(save.exitCode()).as(save.output()).isZero();
    assertThat(save.output()).contains("Succeeded");
    Processes.Result ls = kubectl("etcdsnapshot", "ls", "-n", NS, "-o", "json");
    assertThat(ls.exitCode()).as(ls.output()).isZero();
    JsonNode list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ls.output());
    JsonNode item = null;
    for (JsonNode n : list.isArray() ? list : list.path("items")) {
      if (n.toString().contains("plugin-" + RealCluster.NODE)) {
        item = n;
      }
    }
    assertThat(item).as(ls.output()).isNotNull();
    Processes.Result table = kubectl("etcdsnapshot", "ls", "-n", NS);
    assertThat(table.output()).containsPattern("plugin-" + RealCluster.NODE
        + "-\\d{10} +file:///var/lib/rancher/k3s/server/db/snapshots/plugin-");
    saved = table.output().lines().filter(l -> l.startsWith("plugin-")).findFirst().orElseThrow()
        .split(" +")[0];
    assertThat(cluster.server().root().resolve("var/lib/rancher/k3s/server/db/snapshots")
        .resolve(saved)).exists();
  }

  @Test
  @Order(3)
  void aRestoreDryRunChecksTheFileOnTheNodeAndChangesNothing() {
    Processes.Result plan = kubectl("etcdsnapshot", "restore", saved, "-n", NS, "--dry-run",
        "--timeout", "3m");

    assertThat(plan.exitCode()).as(plan.output()).isZero();
    assertThat(plan.output()).contains(RealCluster.NODE);
    assertThat(cluster.server().etcdctl("endpoint", "health").exitCode()).isZero();
  }

  @Test
  @Order(4)
  void deleteRemovesTheResourceAndTheFile() {
    Path file = cluster.server().root().resolve("var/lib/rancher/k3s/server/db/snapshots")
        .resolve(saved);

    Processes.Result delete = kubectl("etcdsnapshot", "delete", "-n", NS, saved);

    assertThat(delete.exitCode()).as(delete.output()).isZero();
    RealCluster.await("the file deleted on the node", Duration.ofSeconds(120),
        () -> !Files.exists(file));
    assertThat(kubectl("etcdsnapshot", "ls", "-n", NS).output()).doesNotContain(saved);
  }
}
