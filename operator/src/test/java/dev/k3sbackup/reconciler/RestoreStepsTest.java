package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.LocalStorage;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.api.v1alpha1.StepState;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.cluster.EtcdNodes.EtcdNode;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.PreparedRestore;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.RestoreReport;
import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.reconciler.RestoreSteps.Progress;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.RestorePhases;
import dev.k3sbackup.testing.FakeNodeJobs;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The restore's steps, decided against fakes of the cluster, its Jobs and its Events. */
class RestoreStepsTest {

  private static final String FILE = "on-demand-s1-1795262400";

  /** The cluster: its snapshots, nodes and what the steps created. */
  private final class FakeCluster implements RestoreCluster {
    final Map<String, EtcdSnapshot> snapshots = new LinkedHashMap<>();
    List<String> running = List.of();

    @Override
    public Optional<EtcdSnapshot> snapshot(String namespace, String name) {
      return Optional.ofNullable(snapshots.get(name));
    }

    @Override
    public List<EtcdNode> readyEtcdNodes() {
      return List.of(new EtcdNode("s1", "10.0.0.1"), new EtcdNode("s2", "10.0.0.2"));
    }

    @Override
    public List<String> operationsRunningBesides(EtcdRestore restore) {
      return running;
    }

    @Override
    public void create(EtcdSnapshot snapshot) {
      snapshots.put(snapshot.getMetadata().getName(), snapshot);
    }

    /** Nodes K3s labelled and annotated as etcd servers, members s1-… and s2-…. */
    final List<io.fabric8.kubernetes.api.model.Node> nodes = new java.util.ArrayList<>(List.of(
        etcdNode("s1", "10.0.0.1"), etcdNode("s2", "10.0.0.2")));
    String leaseHolder;
    final List<String> tokens = new java.util.ArrayList<>();

    @Override
    public List<io.fabric8.kubernetes.api.model.Node> etcdNodes() {
      return nodes;
    }

    @Override
    public Optional<String> takeLease(EtcdRestore restore) {
      String me = restore.getMetadata().getNamespace() + "/" + restore.getMetadata().getName();
      if (leaseHolder != null && !leaseHolder.equals(me)) {
        return Optional.of(leaseHolder);
      }
      leaseHolder = me;
      return Optional.empty();
    }

    @Override
    public void releaseLease(EtcdRestore restore) {
      if ((restore.getMetadata().getNamespace() + "/" + restore.getMetadata().getName())
          .equals(leaseHolder)) {
        leaseHolder = null;
      }
    }

    @Override
    public void ensureAgentToken(EtcdRestore restore, String name) {
      if (!tokens.contains(name)) {
        tokens.add(name);
      }
    }

    @Override
    public List<EtcdSnapshot> safetySnapshots(String namespace) {
      return snapshots.values().stream().filter(s -> s.getMetadata().getLabels() != null
          && s.getMetadata().getLabels().containsKey(Labels.RESTORE)).toList();
    }

    @Override
    public void delete(EtcdSnapshot snapshot) {
      snapshots.remove(snapshot.getMetadata().getName());
    }
  }

  static io.fabric8.kubernetes.api.model.Node etcdNode(String name, String address) {
    return new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName(name)
        .addToAnnotations("etcd.k3s.cattle.io/node-name", name + "-0123abcd").endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(address)
        .endAddress().endStatus().build();
  }

  /** etcd's members, one per node named. */
  static List<dev.k3sbackup.etcd.EtcdMemberInfo> members(String... nodes) {
    List<dev.k3sbackup.etcd.EtcdMemberInfo> m = new java.util.ArrayList<>();
    for (String n : nodes) {
      m.add(new dev.k3sbackup.etcd.EtcdMemberInfo(Integer.toHexString(n.hashCode()),
          n + "-0123abcd", List.of("https://10.0.0." + n.substring(1) + ":2380"), false));
    }
    return m;
  }

  private final List<String> events = new ArrayList<>();
  private final FakeCluster cluster = new FakeCluster();
  private final FakeNodeJobs jobs = new FakeNodeJobs();
  private RestoreSteps steps;
  private EtcdRestore restore;

  @BeforeEach
  void aConfirmedRestoreOfASnapshotInANonDefaultDataDir() {
    Events recorder = new Events() {
      @Override
      public void normal(HasMetadata on, String reason, String message) {
        events.add("Normal " + reason);
      }

      @Override
      public void warning(HasMetadata on, String reason, String message) {
        events.add("Warning " + reason);
      }
    };
    Clock clock = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);
    steps = new RestoreSteps(cluster, new AgentJobs("agent:test", "backups"), recorder,
        new RestorePhases(recorder, clock), 9791);
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("good");
    s.getMetadata().setNamespace("backups");
    s.setSpec(new EtcdSnapshotSpec());
    s.getSpec().local = new LocalStorage();
    s.getSpec().local.dataDir = "/srv/k3s";
    s.getSpec().local.dir = "/mnt/snapshots";
    s.setStatus(new EtcdSnapshotStatus());
    s.getStatus().phase = SnapshotPhase.Succeeded;
    s.getStatus().snapshotName = FILE;
    s.getStatus().node = "s1";
    s.getStatus().localPath = "/mnt/snapshots/" + FILE;
    s.getStatus().sha256 = "ab".repeat(32);
    cluster.snapshots.put("good", s);
    restore = new EtcdRestore();
    restore.getMetadata().setName("back");
    restore.getMetadata().setNamespace("backups");
    restore.getMetadata().setUid("u-1");
    restore.setSpec(new EtcdRestoreSpec());
    restore.getSpec().snapshot = "good";
    restore.getSpec().confirm = true;
    restore.setStatus(new EtcdRestoreStatus());
  }

  private List<RestorePhase> history() {
    return restore.getStatus().history.stream().map((PhaseTransition t) -> t.phase).toList();
  }

  @Test
  void preflightPlansThenChecksTheFileOnTheServerWithItsDataDir() {
    Progress p = steps.run(restore, jobs);

    assertThat(p).isEqualTo(Progress.WAIT);
    assertThat(history()).containsExactly(RestorePhase.Preflight);
    assertThat(restore.getStatus().plan.dataDir).isEqualTo("/srv/k3s");
    assertThat(restore.getStatus().message).startsWith("checking the snapshot on s1");
    assertThat(jobs.jobs).containsOnlyKeys("back-preflight");
    assertThat(jobs.args("back-preflight")).containsSubsequence("prepare-restore", FILE,
        "--token-file", "/srv/k3s/server/token", "--dir", "/mnt/snapshots");
    assertThat(jobs.jobs.get("back-preflight").getSpec().getTemplate().getSpec()
        .getNodeName()).isEqualTo("s1");

    assertThat(steps.run(restore, jobs)).as("the check runs: wait for it").isEqualTo(Progress.WAIT);
    assertThat(jobs.jobs).hasSize(1);
  }

  @Test
  void aRefusedPlanFailsAndCreatesNothing() {
    cluster.running = List.of("EtcdSnapshot backups/nightly");

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.DONE);

    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Failed);
    assertThat(restore.getStatus().message).startsWith("preflight refused the restore, nothing "
        + "was touched: one operation at a time");
    assertThat(jobs.jobs).isEmpty();
    assertThat(events).containsExactly("Warning OperationRunning");
  }

  @Test
  void aDryRunEndsWithThePlan() {
    restore.getSpec().confirm = null;
    restore.getSpec().dryRun = true;

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.DONE);

    assertThat(history()).containsExactly(RestorePhase.Preflight, RestorePhase.PlanReady);
    assertThat(jobs.jobs).isEmpty();
  }

  @Test
  void aFailedCheckOnTheNodeFailsTheRestoreBeforeAnythingStops() {
    steps.run(restore, jobs);
    jobs.finish("back-preflight", AgentResult.failure(FailureKind.BAD_INPUT, "snapshot "
        + FILE + " fails etcd's integrity check", null));

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.DONE);

    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Failed);
    assertThat(restore.getStatus().message).contains("nothing was touched: on node s1: snapshot "
        + FILE + " fails etcd's integrity check");
    assertThat(jobs.jobs).containsOnlyKeys("back-preflight");
  }

  @Test
  void aPassedCheckTakesTheSafetySnapshotThenRestoresOnEveryNode() {
    steps.run(restore, jobs);
    jobs.finish("back-preflight", AgentResult.success(new PreparedRestore("/mnt/snapshots/"
        + FILE, "ab".repeat(32), 4128, false, true, members("s1", "s2"), List.of())));

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.NEXT);
    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.SafetySnapshot);
    assertThat(events).containsExactly("Normal PreflightPassed");

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.WAIT);
    EtcdSnapshot safety = cluster.snapshots.get("back-safety");
    assertThat(safety.getSpec().node).isEqualTo("s1");
    assertThat(safety.getMetadata().getLabels()).containsEntry(Labels.RESTORE, "back");
    safety.setStatus(new EtcdSnapshotStatus());
    safety.getStatus().phase = SnapshotPhase.Succeeded;
    safety.getStatus().snapshotName = "pre-restore-s1-1795262500";

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.NEXT);
    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Restoring);

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.WAIT);
    assertThat(jobs.jobs).containsKeys("back-server", "back-peer-s2");
    assertThat(jobs.args("back-server")).containsSubsequence("--data-dir", "/srv/k3s",
        "--restore-id", "restore-u-1", "server", "--snapshot", "/mnt/snapshots/" + FILE);
    assertThat(jobs.args("back-peer-s2")).containsSubsequence("--data-dir", "/srv/k3s",
        "peer", "--server", "http://10.0.0.1:9791/");
    assertThat(jobs.jobs.get("back-server").getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getHostPath() != null)
        .extracting(v -> v.getHostPath().getPath())
        .as("the data dir, the snapshot dir outside it, and K3s's config (read-only)")
        .containsExactly("/srv/k3s", "/mnt/snapshots", "/etc/rancher/k3s");
    assertThat(jobs.jobs.get("back-server").getSpec().getTemplate().getSpec().getVolumes())
        .as("and a small scratch /tmp under the read-only root, nothing of the host's")
        .filteredOn(v -> v.getHostPath() == null)
        .singleElement().satisfies(v -> assertThat(v.getEmptyDir().getSizeLimit())
            .hasToString("64Mi"));
    var agent = jobs.jobs.get("back-server").getSpec().getTemplate().getSpec().getContainers()
        .get(0);
    assertThat(agent.getEnv()).singleElement().satisfies(e -> {
      assertThat(e.getName()).isEqualTo("RESTORE_AGENT_TOKEN");
      assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("back-agents");
    });
    assertThat(cluster.tokens).containsExactly("back-agents");
    assertThat(restore.getStatus().nodes).extracting(n -> n.node + " " + n.role)
        .containsExactly("s1 server", "s2 peer");
    assertThat(jobs.args("back-server")).containsSubsequence("--keep-old-data", "2");
    assertThat(safety.getSpec().namePrefix).isEqualTo("k3sbackup-safety");
  }

  @Test
  void onlyTheNewestSafetySnapshotsAreKept() {
    for (int i = 1; i <= 4; i++) {
      EtcdSnapshot old = new EtcdSnapshot();
      old.getMetadata().setName("old-" + i + "-safety");
      old.getMetadata().setLabels(Map.of(Labels.RESTORE, "old-" + i));
      old.setStatus(new EtcdSnapshotStatus());
      old.getStatus().phase = SnapshotPhase.Succeeded;
      old.getStatus().completionTime = "2026-11-0" + i + "T00:00:00Z";
      cluster.snapshots.put(old.getMetadata().getName(), old);
    }
    steps.run(restore, jobs);
    jobs.finish("back-preflight", AgentResult.success(new PreparedRestore("/mnt/snapshots/"
        + FILE, "ab".repeat(32), 4128, false, true, members("s1", "s2"), List.of())));
    steps.run(restore, jobs);
    steps.run(restore, jobs);
    EtcdSnapshot safety = cluster.snapshots.get("back-safety");
    safety.setStatus(new EtcdSnapshotStatus());
    safety.getStatus().phase = SnapshotPhase.Succeeded;
    safety.getStatus().completionTime = "2026-11-21T12:00:00Z";

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.NEXT);

    assertThat(cluster.snapshots.keySet()).as("this restore's and the two newest before it")
        .containsExactlyInAnyOrder("good", "back-safety", "old-4-safety", "old-3-safety");
    assertThat(events).contains("Normal SafetySnapshotPruned");
  }

  private RestoreReport report(String node, RestoreRole role, List<RestoreStep> done,
      RestoreStep failed) {
    return report(node, role, done, failed, "boom");
  }

  private RestoreReport report(String node, RestoreRole role, List<RestoreStep> done,
      RestoreStep failed, String why) {
    List<RestoreReport.StepReport> steps = new ArrayList<>();
    for (RestoreStep s : done) {
      steps.add(new RestoreReport.StepReport(s, StepState.Done, "t0", "t1", "ok"));
    }
    if (failed != null) {
      steps.add(new RestoreReport.StepReport(failed, StepState.Failed, "t0", "t1", why));
    }
    return new RestoreReport(new RestoreReport.Restore(RestoreId.ofUid("u-1"), "backups",
        "back", "good", node, role, List.of("s2")), steps);
  }

  private void restoring() {
    restore.getSpec().safetySnapshot = false;
    steps.run(restore, jobs);
    jobs.finish("back-preflight", AgentResult.success(new PreparedRestore("/mnt/snapshots/"
        + FILE, "ab".repeat(32), 4128, false, true, members("s1", "s2"), List.of())));
    steps.run(restore, jobs);
    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Restoring);
    steps.run(restore, jobs);
  }

  @Test
  void succeedsOnceEveryNodeHasStartedFromTheSnapshot() {
    restoring();
    jobs.finish("back-server", AgentResult.success(report("s1", RestoreRole.SERVER,
        RestoreStep.HA_SERVER, null)));

    assertThat(steps.run(restore, jobs)).as("the peer still works").isEqualTo(Progress.WAIT);

    jobs.finish("back-peer-s2", AgentResult.success(report("s2", RestoreRole.PEER,
        RestoreStep.PEER, null)));
    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.DONE);
    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Succeeded);
    assertThat(restore.getStatus().message).startsWith("restored from /mnt/snapshots/" + FILE
        + " on s1, and s2 rejoined");
    assertThat(restore.getStatus().nodes.get(1).steps).extracting(s -> s.step + " " + s.state)
        .containsExactly("await-reset Done", "stop Done", "wipe Done", "await-server Done",
            "start Done");
  }

  @Test
  void aNodesOwnFailedStepIsTheFailureReported() {
    restoring();
    String gaveUp = "the agent at http://10.0.0.2:9791/ failed (stop: systemctl stop k3s "
        + "exited 1), so this one stops here";
    jobs.finish("back-server", AgentResult.failure(FailureKind.FAILED, gaveUp, report("s1",
        RestoreRole.SERVER, List.of(RestoreStep.VERIFY), RestoreStep.AWAIT_PEERS_READY,
        gaveUp)));
    jobs.finish("back-peer-s2", AgentResult.failure(FailureKind.FAILED, "systemctl stop k3s "
        + "exited 1", report("s2", RestoreRole.PEER, List.of(RestoreStep.AWAIT_RESET),
            RestoreStep.STOP, "systemctl stop k3s exited 1")));

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.DONE);

    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Failed);
    assertThat(restore.getStatus().message).startsWith("the restore failed: step stop on s2 "
        + "(peer) failed: systemctl stop k3s exited 1");
  }

  @Test
  void aJobThatEndedWithoutAJournalFailsTheRestore() {
    restoring();
    jobs.finish("back-server", AgentResult.failure(FailureKind.FAILED, "OOMKilled (exit 137)",
        null));
    jobs.finish("back-peer-s2", AgentResult.success(report("s2", RestoreRole.PEER,
        RestoreStep.PEER, null)));

    assertThat(steps.run(restore, jobs)).isEqualTo(Progress.DONE);

    assertThat(restore.getStatus().phase).isEqualTo(RestorePhase.Failed);
    assertThat(restore.getStatus().nodes.get(0).steps).extracting(s -> s.step + " " + s.state
        + " " + s.message).containsExactly("run Failed OOMKilled (exit 137)");
  }
}
