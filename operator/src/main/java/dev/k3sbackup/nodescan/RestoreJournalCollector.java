package dev.k3sbackup.nodescan;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.RestoreReport;
import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.status.RestoreOutcome;
import dev.k3sbackup.status.RestorePhases;
import dev.k3sbackup.status.StatusWriter;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the restore journals back from the server nodes, so that a restore's outcome survives
 * the etcd rollback: after a restore, etcd holds the snapshot's state, in which the
 * {@code EtcdRestore} (and its Jobs) may not exist. Each pass runs a small Job per Ready etcd
 * node and K3s data dir in use ({@code restore-agent journals}) and acts on the reports of the
 * previous pass's Jobs: a journal whose restore has no resource any more gets a recreated one,
 * annotated {@link Annotations#RECOVERED_FROM_JOURNAL}, whose status shows each node's steps and
 * the outcome. Journals of restores whose outcome a resource shows are acknowledged on the next
 * pass and no longer reported (they stay on the node: a rerun agent still finds them and repeats
 * nothing).
 *
 * <p>A restore agent keeps its journal under the data dir its plan names (from the snapshot's
 * storage spec), so the journals are read under every data dir the cluster's resources name:
 * K3s's default, the snapshots' and schedules' {@code local.dataDir}, and the restores' plans.
 */
public final class RestoreJournalCollector {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreJournalCollector.class);
  private static final ResultType<List<RestoreReport>> REPORTS =
      ResultType.listOf(RestoreReport.class);

  private final Collaborators with;
  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final AgentJobs jobs;
  private final Events events;
  private final RestorePhases phases;
  /** One scan per K3s data dir the cluster's resources name, kept while its Jobs run. */
  private final Map<Path, NodeScanJobs<Void, List<RestoreReport>>> scans = new LinkedHashMap<>();

  public RestoreJournalCollector(Collaborators with) {
    this.with = with;
    this.client = with.client();
    this.settings = with.settings();
    this.jobs = with.agentJobs();
    this.events = with.events();
    this.phases = new RestorePhases(events, with.clock());
  }

  /** One pass: act on the finished reports, then start the next ones. */
  public synchronized void scan() {
    Map<RestoreId, List<RestoreReport>> byRestore = new LinkedHashMap<>();
    scans.forEach((dataDir, scan) -> scan.collect().forEach((node, finished) -> {
      var outcome = finished.outcome();
      if (outcome.isPresent() && outcome.get().ok() && outcome.get().result() != null) {
        for (RestoreReport report : outcome.get().result()) {
          byRestore.computeIfAbsent(report.restore().id(), k -> new ArrayList<>()).add(report);
        }
      } else {
        LOG.warn("cannot read the restore journals in {} on node {}: {}", dataDir, node,
            outcome.map(AgentResult::message).orElse("no result"));
      }
    }));
    List<EtcdRestore> restores = with.watched().list(EtcdRestore.class);
    byRestore.forEach((id, reports) -> show(id, reports, restores));
    List<RestoreId> acked = acknowledged(restores);
    for (Path dataDir : dataDirs(restores)) {
      K3sLayout k3s = K3sLayout.of(dataDir);
      scans.computeIfAbsent(dataDir, d -> new NodeScanJobs<>(with, scanName(d), REPORTS))
          .startNext((node, name) -> jobs.journals(name, node, k3s, acked), () -> node -> null);
    }
  }

  /**
   * The data dirs the cluster's resources name, where restore agents may have journaled: K3s's
   * default, the snapshots' and schedule templates' {@code local.dataDir} and the restores'
   * plans (resources that the rollback kept, or that came back with it).
   */
  private List<Path> dataDirs(List<EtcdRestore> restores) {
    TreeSet<Path> dirs = new TreeSet<>();
    dirs.add(K3sLayout.defaults().dataDir());
    for (EtcdSnapshot s : with.watched().list(EtcdSnapshot.class)) {
      dataDirOf(s.getSpec()).ifPresent(dirs::add);
    }
    for (EtcdSnapshotSchedule s : with.watched().list(EtcdSnapshotSchedule.class)) {
      dataDirOf(s.getSpec() == null ? null : s.getSpec().snapshotTemplate).ifPresent(dirs::add);
    }
    for (EtcdRestore r : restores) {
      if (r.getStatus() != null && r.getStatus().plan != null
          && r.getStatus().plan.dataDir != null) {
        dirs.add(Path.of(r.getStatus().plan.dataDir));
      }
    }
    return List.copyOf(dirs);
  }

  private static Optional<Path> dataDirOf(EtcdSnapshotSpec spec) {
    return spec == null ? Optional.empty()
        : Optional.of(spec.localOrDefault().layout().dataDir());
  }

  /** {@code journal-scan} for K3s's default data dir; others get a short hash of theirs. */
  private static String scanName(Path dataDir) {
    if (dataDir.equals(K3sLayout.defaults().dataDir())) {
      return "journal-scan";
    }
    return "journal-scan-" + dev.k3sbackup.base.KubeNames.hash(dataDir.toString());
  }

  /** The journal ids whose outcome a resource shows for good (terminal phase). */
  private static List<RestoreId> acknowledged(List<EtcdRestore> restores) {
    List<RestoreId> ids = new ArrayList<>();
    for (EtcdRestore r : restores) {
      if (r.getStatus() != null && r.getStatus().phaseOrPending().terminal()) {
        ids.add(RestoreId.ofUid(RestoreOutcome.recoveredFromJournal(r)
            ? r.getMetadata().getAnnotations().get(Annotations.RECOVERED_FROM_JOURNAL)
            : r.getMetadata().getUid()));
      }
    }
    return ids;
  }

  private void show(RestoreId id, List<RestoreReport> reports, List<EtcdRestore> restores) {
    Optional<String> restoreUid = id.uid();
    if (restoreUid.isEmpty()) {
      return;
    }
    String uid = restoreUid.get();
    if (restores.stream().anyMatch(r -> uid.equals(r.getMetadata().getUid()))) {
      return; // the original is there: its own reconciler shows its Jobs' reports
    }
    RestoreReport.Restore head = reports.stream().map(RestoreReport::restore)
        .filter(r -> r.role() == RestoreRole.SERVER).findFirst().orElse(null);
    if (head == null) {
      return; // the server's journal tells what the restore was; wait for it
    }
    String ns = head.namespace();
    String name = head.name();
    if (ns == null || name == null) {
      return; // a manual restore-agent run: no resource to show it on
    }
    Map<String, NodeRestoreStatus> byNode = new LinkedHashMap<>();
    for (RestoreReport r : reports) {
      NodeRestoreStatus n = RestoreOutcome.toStatus(r, null);
      RestoreOutcome.startedSinceTheJournalWasReadThere(n,
          settings.clock().instant().toString());
      byNode.put(n.node, n);
    }
    List<NodeRestoreStatus> nodeStatus = new ArrayList<>(byNode.values());
    List<String> peers = head.peers();
    RestoreOutcome.Verdict verdict = RestoreOutcome.judge(nodeStatus, head.node(), peers);
    EtcdRestore existing = restores.stream().filter(r -> RestoreOutcome.recoveredFromJournal(r)
        && uid.equals(r.getMetadata().getAnnotations().get(Annotations.RECOVERED_FROM_JOURNAL)))
        .findFirst().orElse(null);
    if (existing != null && existing.getStatus() != null
        && existing.getStatus().phaseOrPending().terminal()) {
      return;
    }
    EtcdRestore target = existing != null ? existing : recreate(ns, name, uid, head, restores);
    EtcdRestoreStatus status = target.getStatus() != null ? target.getStatus()
        : new EtcdRestoreStatus();
    target.setStatus(status);
    status.nodes = nodeStatus;
    if (status.plan == null) {
      status.plan = new RestorePlan();
      status.plan.server = head.node();
      status.plan.peers = new ArrayList<>(peers);
    }
    String origin = "recreated from the restore journals on the nodes: the etcd rollback "
        + "removed the original EtcdRestore (uid " + uid + ")";
    String message = switch (verdict) {
      case SUCCEEDED -> "restored on " + status.plan.server + (peers.isEmpty() ? ""
          : ", and " + String.join(", ", peers) + " rejoined") + "; " + origin;
      case FAILED -> "the restore failed: " + RestoreOutcome.failure(nodeStatus).orElse("")
          + "; " + origin + "; status.nodes shows which steps ran";
      case RUNNING -> "the node agents are still at work; " + origin;
    };
    if (status.phase != verdict.phase()) {
      phases.show(target, verdict, message);
    }
    status.message = message;
    StatusWriter.replaceNow(client, target);
    LOG.info("restore {}/{} {}: {}", ns, target.getMetadata().getName(), verdict.phase(),
        message);
  }

  private EtcdRestore recreate(String ns, String name, String uid, RestoreReport.Restore head,
      List<EtcdRestore> restores) {
    boolean taken = restores.stream().anyMatch(r -> ns.equals(r.getMetadata().getNamespace())
        && name.equals(r.getMetadata().getName()));
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setNamespace(ns);
    r.getMetadata().setName(taken ? dev.k3sbackup.base.KubeNames.of(name, "-recovered")
        : name);
    r.getMetadata().setAnnotations(Map.of(Annotations.RECOVERED_FROM_JOURNAL, uid));
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = Objects.requireNonNullElse(head.snapshot(), "unknown");
    r.getSpec().confirm = true; // it ran, confirmed; being recovered, it never runs again
    EtcdRestore created = client.resource(r).create();
    events.normal(created, "RecoveredFromJournal", "the etcd rollback removed EtcdRestore " + ns
        + "/" + name + " (uid " + uid + "); recreated from the nodes' restore journals");
    return created;
  }
}
