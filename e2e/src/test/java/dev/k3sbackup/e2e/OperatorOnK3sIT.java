package dev.k3sbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.RestoreStepStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The operator on a real K3s with embedded etcd, installed from config/default with our image:
 * K3s in Docker through Testcontainers (see {@link K3sInDocker}), or the cluster of
 * {@code -De2e.kubeconfig=PATH}. Proves an on-demand save (the file is on the node, its sha256 is
 * the one in status, {@code k3s etcd-snapshot ls} lists it), a schedule that fires every minute
 * and prunes to its retention, a delete that removes the file, and a single-server restore run
 * by the operator's own agent Job (systemctl stop, {@code k3s server --cluster-reset}, systemctl
 * start) that brings back a ConfigMap deleted after the snapshot. The restore runs last: it
 * rolls the cluster back.
 */
@NeedsRealK3s
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorOnK3sIT {

  private static final String NS = "k3s-etcd-backup";
  private static final String SNAPSHOTS = "/var/lib/rancher/k3s/server/db/snapshots";
  private static final String SCHEDULE_LABEL = "k3sbackup.dev/schedule";

  private static TestCluster cluster;
  private static KubernetesClient client;
  private static NodeShell nodes;

  /** On a failure, what the cluster looked like: resources, the operator's log, K3s's log. */
  @RegisterExtension
  static final TestWatcher DIAGNOSTICS = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (cluster != null) {
        System.out.println(cluster.diagnostics());
      }
    }
  };

  @BeforeAll
  static void installTheOperator() {
    cluster = TestCluster.fromSystemProperties();
    client = cluster.client();
    nodes = cluster.nodes();
  }

  @AfterAll
  static void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void anOnDemandSnapshotIsAFileOnTheNodeThatK3sLists() {
    EtcdSnapshotStatus saved = save("e2e-on-demand", "on-demand").getStatus();

    assertThat(saved.snapshotName).startsWith("on-demand-" + saved.node + "-");
    assertThat(saved.localPath).isEqualTo(SNAPSHOTS + "/" + saved.snapshotName);
    assertThat(saved.size).isPositive();
    assertThat(nodes.check(saved.node, "sha256sum", saved.localPath).split("\\s+")[0])
        .as("the file's sha256 is the one in status").isEqualTo(saved.sha256);
    assertThat(nodes.check(saved.node, "k3s", "etcd-snapshot", "ls"))
        .as("k3s etcd-snapshot ls on the node").contains(saved.snapshotName);
  }

  @Test
  @Order(2)
  void aScheduleFiresEveryMinuteAndPrunesToItsRetention() {
    EtcdSnapshotSchedule schedule = new EtcdSnapshotSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("e2e-every-minute").withNamespace(NS)
        .build());
    EtcdSnapshotScheduleSpec spec = new EtcdSnapshotScheduleSpec();
    spec.schedule = "* * * * *";
    spec.retention = 2;
    spec.snapshotTemplate = new EtcdSnapshotSpec();
    spec.snapshotTemplate.namePrefix = "e2e-scheduled";
    schedule.setSpec(spec);
    var schedules = client.resources(EtcdSnapshotSchedule.class).inNamespace(NS);
    schedules.resource(schedule).create();

    // every snapshot the schedule took, by file name, oldest first
    Map<String, String> taken = new LinkedHashMap<>();
    Eventually.await("three scheduled snapshots to succeed", Duration.ofMinutes(8),
        Duration.ofSeconds(5), () -> {
          children("e2e-every-minute").stream().filter(s -> phase(s) == SnapshotPhase.Succeeded)
              .sorted(Comparator.comparing((EtcdSnapshot s) -> s.getStatus().completionTime,
                  Comparator.nullsLast(Comparator.naturalOrder())))
              .forEach(s -> taken.putIfAbsent(s.getStatus().snapshotName, s.getMetadata()
                  .getName()));
          assertThat(children("e2e-every-minute")).noneMatch(s -> phase(s) == SnapshotPhase.Failed);
          return taken.size() >= 3 ? Optional.of(taken) : Optional.empty();
        }, () -> describe(children("e2e-every-minute")));

    schedules.withName("e2e-every-minute").edit(s -> {
      s.getSpec().suspend = true;
      return s;
    });
    String node = children("e2e-every-minute").get(0).getStatus().node;
    Set<String> kept = Eventually.await("the schedule to prune down to 2 snapshots, files and "
            + "resources", Duration.ofMinutes(3), Duration.ofSeconds(5), () -> {
          List<EtcdSnapshot> now = children("e2e-every-minute");
          Set<String> resources = now.stream().filter(s -> phase(s) == SnapshotPhase.Succeeded)
              .map(s -> s.getStatus().snapshotName).collect(Collectors.toCollection(TreeSet::new));
          Set<String> files = files(node, "e2e-scheduled-");
          boolean settled = now.stream().allMatch(s -> phase(s).terminal())
              && resources.size() == 2 && files.equals(resources);
          return settled ? Optional.of(files) : Optional.empty();
        }, () -> describe(children("e2e-every-minute")) + "; files " + files(node,
            "e2e-scheduled-"));

    List<String> oldestFirst = new ArrayList<>(taken.keySet());
    assertThat(kept).as("the oldest are pruned, file and resource: %s", oldestFirst)
        .doesNotContainAnyElementsOf(oldestFirst.subList(0, oldestFirst.size() - 2));
    schedules.withName("e2e-every-minute").delete();
  }

  @Test
  @Order(3)
  void deletingASnapshotDeletesItsFile() {
    EtcdSnapshotStatus saved = save("e2e-to-delete", "e2e-delete").getStatus();
    assertThat(nodes.run(saved.node, "test", "-f", saved.localPath).exitCode()).isZero();

    snapshots().withName("e2e-to-delete").delete();

    Eventually.await("EtcdSnapshot e2e-to-delete to be gone (its finalizer deletes the file)",
        Duration.ofMinutes(3), Duration.ofSeconds(3),
        () -> snapshots().withName("e2e-to-delete").get() == null ? Optional.of(true)
            : Optional.empty(), () -> describe(List.of(snapshots().withName("e2e-to-delete")
            .get())));
    assertThat(nodes.run(saved.node, "test", "-e", saved.localPath).exitCode())
        .as(saved.localPath + " is gone").isNotZero();
    Eventually.await("k3s etcd-snapshot ls no longer to list " + saved.snapshotName,
        Duration.ofMinutes(1), Duration.ofSeconds(5),
        () -> nodes.check(saved.node, "k3s", "etcd-snapshot", "ls")
            .contains(saved.snapshotName) ? Optional.empty() : Optional.of(true),
        () -> nodes.check(saved.node, "k3s", "etcd-snapshot", "ls"));
  }

  @Test
  @Order(4)
  void aSingleServerRestoreBringsBackAConfigMapDeletedAfterTheSnapshot() {
    Optional<String> refusal = cluster.restoreRefusal();
    refusal.ifPresent(why -> System.out.println("OperatorOnK3sIT: restore skipped: " + why));
    assumeTrue(refusal.isEmpty(), () -> refusal.orElseThrow());
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata()
        .withName("e2e-restore").endMetadata().build()).serverSideApply();
    var configMaps = client.configMaps().inNamespace("e2e-restore");
    configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("kept").endMetadata()
        .addToData("written", "before the snapshot").build()).create();
    String node = save("e2e-before-restore", "e2e-restore").getStatus().node;

    configMaps.withName("kept").delete();
    Eventually.await("ConfigMap kept to be deleted", Duration.ofMinutes(1), Duration.ofSeconds(1),
        () -> configMaps.withName("kept").get() == null ? Optional.of(true) : Optional.empty(),
        () -> "still there");
    configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("written-after")
        .endMetadata().addToData("written", "after the snapshot").build()).create();

    EtcdRestore restore = new EtcdRestore();
    restore.setMetadata(new ObjectMetaBuilder().withName("e2e-restore").withNamespace(NS).build());
    EtcdRestoreSpec spec = new EtcdRestoreSpec();
    spec.snapshot = "e2e-before-restore";
    spec.confirm = true;
    restore.setSpec(spec);
    String uid = restores().resource(restore).create().getMetadata().getUid();

    // K3s stops and comes back from the snapshot, in which this EtcdRestore does not exist: the
    // operator shows the outcome on one recreated from the node's journal
    EtcdRestore done = Eventually.await("EtcdRestore e2e-restore to end (the API is away while K3s "
            + "restarts)", Duration.ofMinutes(15), Duration.ofSeconds(5),
        () -> Optional.ofNullable(restores().withName("e2e-restore").get())
            .filter(r -> r.getStatus() != null && r.getStatus().phase != null
                && r.getStatus().phase.terminal()),
        () -> String.valueOf(restores().withName("e2e-restore").get()));

    assertThat(done.getStatus().phase).as(done.getStatus().message)
        .isEqualTo(RestorePhase.Succeeded);
    if (!uid.equals(done.getMetadata().getUid())) {
      assertThat(done.getMetadata().getAnnotations())
          .containsEntry("k3sbackup.dev/recovered-from-journal", uid);
    }
    NodeRestoreStatus server = done.getStatus().nodes.stream()
        .filter(n -> node.equals(n.node)).findFirst().orElseThrow();
    assertThat(server.steps).extracting((RestoreStepStatus s) -> s.step + " " + s.state)
        .contains("verify Done", "stop Done", "reset Done", "start Done");

    ConfigMap back = Eventually.await("ConfigMap kept to be back", Duration.ofMinutes(2),
        Duration.ofSeconds(2), () -> Optional.ofNullable(configMaps.withName("kept").get()),
        () -> "absent");
    assertThat(back.getData()).containsEntry("written", "before the snapshot");
    assertThat(configMaps.withName("written-after").get())
        .as("written after the snapshot: gone with the rollback").isNull();
    assertThat(nodes.check(node, "ls", "/var/lib/rancher/k3s/server/db"))
        .as("K3s keeps the old data as etcd-old-<unix>").contains("etcd-old-");
  }

  // ---- helpers ----

  private static NonNamespaceOperation<EtcdSnapshot, KubernetesResourceList<EtcdSnapshot>,
      Resource<EtcdSnapshot>> snapshots() {
    return client.resources(EtcdSnapshot.class).inNamespace(NS);
  }

  private static NonNamespaceOperation<EtcdRestore, KubernetesResourceList<EtcdRestore>,
      Resource<EtcdRestore>> restores() {
    return client.resources(EtcdRestore.class).inNamespace(NS);
  }

  /** Creates EtcdSnapshot {@code name} and waits until it has Succeeded. */
  private static EtcdSnapshot save(String name, String prefix) {
    EtcdSnapshot snapshot = new EtcdSnapshot();
    snapshot.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.namePrefix = prefix;
    snapshot.setSpec(spec);
    snapshots().resource(snapshot).create();
    EtcdSnapshot done = Eventually.await("EtcdSnapshot " + name + " to finish",
        Duration.ofMinutes(4), Duration.ofSeconds(2),
        () -> Optional.ofNullable(snapshots().withName(name).get())
            .filter(s -> phase(s).terminal()),
        () -> describe(List.of(snapshots().withName(name).get())));
    assertThat(phase(done)).as(name + ": " + done.getStatus().message)
        .isEqualTo(SnapshotPhase.Succeeded);
    return done;
  }

  private static List<EtcdSnapshot> children(String schedule) {
    return snapshots().withLabel(SCHEDULE_LABEL, schedule).list().getItems();
  }

  /** The snapshot files on {@code node} whose names start with {@code prefix}. */
  private static Set<String> files(String node, String prefix) {
    return nodes.check(node, "ls", "-1", SNAPSHOTS).lines()
        .filter(f -> f.startsWith(prefix)).collect(Collectors.toCollection(TreeSet::new));
  }

  private static SnapshotPhase phase(EtcdSnapshot s) {
    return s.getStatus() == null ? SnapshotPhase.Pending : s.getStatus().phaseOrPending();
  }

  private static String describe(List<EtcdSnapshot> snapshots) {
    return snapshots.stream().map(s -> s == null ? "(none)" : s.getMetadata().getName() + " "
            + phase(s) + (s.getStatus() == null ? "" : " " + s.getStatus().snapshotName + " "
            + s.getStatus().message))
        .collect(Collectors.joining("; ", "[", "]"));
  }
}
