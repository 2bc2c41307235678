package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.agent.AgentJobs;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the restore journals back from the server nodes, so that a restore's outcome survives
 * the etcd rollback: after a restore, etcd holds the snapshot's state, in which the
 * {@code EtcdRestore} (and its Jobs) may not exist. Each pass runs a small Job per Ready etcd
 * node ({@code restore-agent journals}) and acts on the reports of the previous pass's Jobs: a
 * journal whose restore has no resource any more gets a recreated one, marked with
 * {@link Annotations#RECOVERED_FROM_JOURNAL}, whose status shows each node's steps and the outcome. Journals
 * of restores whose outcome a resource shows are acknowledged on the next pass and no longer
 * reported (they stay on the node: a rerun agent still finds them and repeats nothing).
 */
public final class RestoreJournalCollector {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreJournalCollector.class);
  private static final String ID_PREFIX = "restore-";

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final AgentJobs jobs;
  private final EventRecorder events;
  private final RestorePhases phases;
  private final NodeScanJobs<Void> scans;

  public RestoreJournalCollector(KubernetesClient client, OperatorSettings settings) {
    this.client = client;
    this.settings = settings;
    this.jobs = new AgentJobs(settings.agentImage());
    this.events = new EventRecorder(client, settings.clock());
    this.phases = new RestorePhases(events, settings.clock());
    this.scans = new NodeScanJobs<>(client, settings, "journal-scan");
  }

  /** Whether {@code restore} was recreated from journals (it only shows, it never acts). */
  public static boolean isRecovered(EtcdRestore restore) {
    var a = restore.getMetadata().getAnnotations();
    return a != null && a.containsKey(Annotations.RECOVERED_FROM_JOURNAL);
  }

  /** One pass: act on the finished reports, then start the next ones. */
  public synchronized void scan() {
    Map<String, List<JsonNode>> byRestore = new LinkedHashMap<>();
    scans.collect().forEach((node, scan) -> {
      var outcome = scan.outcome();
      if (outcome.isPresent() && outcome.get().ok() && outcome.get().result() != null) {
        for (JsonNode report : outcome.get().result()) {
          byRestore.computeIfAbsent(report.path("restore").path("id").asText(""),
              k -> new ArrayList<>()).add(report);
        }
      } else {
        LOG.warn("cannot read the restore journals on node {}: {}", node,
            outcome.map(AgentJobs.Outcome::message).orElse("no result"));
      }
    });
    List<EtcdRestore> restores = client.resources(EtcdRestore.class).inAnyNamespace().list()
        .getItems();
    byRestore.forEach((id, reports) -> show(id, reports, restores));
    List<String> acked = acknowledged(restores);
    String dataDir = new dev.k3sbackup.api.v1alpha1.LocalStorage().dataDirOrDefault();
    scans.startNext((node, name) -> jobs.journals(settings.home(), name, node, dataDir, acked),
        () -> node -> null);
  }

  /** The journal ids whose outcome a resource shows for good (terminal phase). */
  private static List<String> acknowledged(List<EtcdRestore> restores) {
    List<String> ids = new ArrayList<>();
    for (EtcdRestore r : restores) {
      if (r.getStatus() != null && r.getStatus().phaseOrPending().terminal()) {
        ids.add(ID_PREFIX + (isRecovered(r)
            ? r.getMetadata().getAnnotations().get(Annotations.RECOVERED_FROM_JOURNAL)
            : r.getMetadata().getUid()));
      }
    }
    return ids;
  }

  private void show(String id, List<JsonNode> reports, List<EtcdRestore> restores) {
    if (!id.startsWith(ID_PREFIX)) {
      return;
    }
    String uid = id.substring(ID_PREFIX.length());
    if (restores.stream().anyMatch(r -> uid.equals(r.getMetadata().getUid()))) {
      return; // the original is there: its own reconciler shows its Jobs' reports
    }
    JsonNode server = reports.stream()
        .filter(r -> "server".equals(r.path("restore").path("role").asText())).findFirst()
        .orElse(null);
    if (server == null) {
      return; // the server's journal tells what the restore was; wait for it
    }
    JsonNode head = server.path("restore");
    String ns = head.path("namespace").asText(null);
    String name = head.path("name").asText(null);
    if (ns == null || name == null) {
      return; // a manual restore-agent run: no resource to show it on
    }
    Map<String, NodeRestoreStatus> byNode = new LinkedHashMap<>();
    for (JsonNode r : reports) {
      NodeRestoreStatus n = RestoreReports.toStatus(r, null);
      RestoreReports.startedSinceTheJournalWasReadThere(n,
          settings.clock().instant().toString());
      byNode.put(n.node, n);
    }
    List<NodeRestoreStatus> nodeStatus = new ArrayList<>(byNode.values());
    List<String> peers = new ArrayList<>();
    head.path("peers").forEach(p -> peers.add(p.asText()));
    RestoreReports.Verdict verdict = RestoreReports.judge(nodeStatus, head.path("node").asText(),
        peers);
    EtcdRestore existing = restores.stream().filter(r -> isRecovered(r)
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
      status.plan.server = head.path("node").asText();
      status.plan.peers = peers;
    }
    RestorePhase phase = switch (verdict) {
      case SUCCEEDED -> RestorePhase.Succeeded;
      case FAILED -> RestorePhase.Failed;
      case RUNNING -> RestorePhase.Restoring;
    };
    String origin = "recreated from the restore journals on the nodes: the etcd rollback "
        + "removed the original EtcdRestore (uid " + uid + ")";
    String message = switch (verdict) {
      case SUCCEEDED -> "restored on " + status.plan.server + (peers.isEmpty() ? ""
          : ", and " + String.join(", ", peers) + " rejoined") + "; " + origin;
      case FAILED -> "the restore failed: " + RestoreReports.failure(nodeStatus).orElse("")
          + "; " + origin + "; status.nodes shows which steps ran";
      case RUNNING -> "the node agents are still at work; " + origin;
    };
    if (status.phase != phase) {
      switch (phase) {
        case Succeeded -> phases.succeed(target, phase, "Restored", message);
        case Failed -> phases.fail(target, "RestoreFailed", message);
        default -> phases.enter(target, phase, message);
      }
    }
    status.message = message;
    StatusWriter.replaceNow(client, target);
    LOG.info("restore {}/{} {}: {}", ns, target.getMetadata().getName(), phase, message);
  }

  private EtcdRestore recreate(String ns, String name, String uid, JsonNode head,
      List<EtcdRestore> restores) {
    boolean taken = restores.stream().anyMatch(r -> ns.equals(r.getMetadata().getNamespace())
        && name.equals(r.getMetadata().getName()));
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setNamespace(ns);
    r.getMetadata().setName(taken ? AgentJobs.jobName(name, "-recovered") : name);
    r.getMetadata().setAnnotations(Map.of(Annotations.RECOVERED_FROM_JOURNAL, uid));
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = Objects.requireNonNullElse(head.path("snapshot").asText(null),
        "unknown");
    r.getSpec().confirm = true; // it ran, confirmed; being recovered, it never runs again
    EtcdRestore created = client.resource(r).create();
    events.normal(created, "RecoveredFromJournal", "the etcd rollback removed EtcdRestore " + ns
        + "/" + name + " (uid " + uid + "); recreated from the nodes' restore journals");
    return created;
  }
}
