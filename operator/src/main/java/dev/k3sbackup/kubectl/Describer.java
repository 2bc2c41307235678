package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import dev.k3sbackup.cli.OutputFormat;
import dev.k3sbackup.cli.TerminalProgress;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** {@code describe}'s text: one resource as aligned {@code Field: value} lines, kubectl style. */
final class Describer {

  private Describer() {}

  static String snapshot(EtcdSnapshot s) {
    SnapshotView v = SnapshotView.of(s);
    EtcdSnapshotStatus st = s.getStatus() == null ? new EtcdSnapshotStatus() : s.getStatus();
    Fields f = new Fields();
    f.add("Name:", v.resource());
    f.add("Namespace:", s.getMetadata().getNamespace());
    f.add("Kind:", "EtcdSnapshot");
    f.add("Phase:", v.phaseWithProgress());
    f.add("Message:", v.message());
    f.add("Snapshot:", v.name());
    f.add("Node:", v.node());
    f.add("Local:", v.fileLocation());
    f.add("S3:", v.s3Location());
    f.add("Size:", v.size() == null ? null
        : TerminalProgress.bytes(v.size()) + " (" + v.size() + " bytes)");
    f.add("Progress:", "Running".equals(v.phase()) ? v.progressLine() : null);
    f.add("SHA-256:", v.sha256());
    f.add("Etcd revision:", v.etcdRevision() == null ? null : v.etcdRevision()
        + (st.etcdMemberId == null ? "" : " (member " + st.etcdMemberId + ")"));
    f.add("Created:", v.createdAt() == null ? null : v.createdAt().toString());
    f.add("Started:", st.startTime);
    f.add("Completed:", st.completionTime);
    f.add("Attempts:", st.attempts == null ? null : st.attempts
        + (st.jobName == null ? "" : " (last Job " + st.jobName + ")"));
    f.add("Adopted:", Boolean.TRUE.equals(st.adopted) ? "yes: found without a resource (made by "
        + "K3s itself, or before the operator ran)" : null);
    f.add("Requested:", requested(s.getSpec()));
    f.add("Pinned:", dev.k3sbackup.api.Annotations.pinned(s) ? "yes (k3sbackup.dev/keep): no "
        + "retention deletes it" : null);
    var d = st.drill;
    if (d != null) {
      f.add("Drill:", d.phaseOrPending() + (d.completionTime == null ? ""
          : " at " + d.completionTime) + (d.node == null ? "" : " on " + d.node)
          + " (request " + d.request + ")");
      f.add("Drill result:", d.message);
      f.add("Drill read back:", d.revision == null ? null : "revision " + d.revision + ", "
          + d.keys + " keys in " + d.resourceTypes + " resource types: " + d.keyCounts.stream()
              .map(c -> c.resource + " " + c.count)
              .collect(java.util.stream.Collectors.joining(", ")));
    }
    StringBuilder out = new StringBuilder(f.render());
    conditions(out, st.conditions);
    return out.toString();
  }

  static String restore(EtcdRestore r) {
    EtcdRestoreSpec spec = r.getSpec() == null ? new EtcdRestoreSpec() : r.getSpec();
    EtcdRestoreStatus st = r.getStatus() == null ? new EtcdRestoreStatus() : r.getStatus();
    Fields f = new Fields();
    f.add("Name:", r.getMetadata().getName());
    f.add("Namespace:", r.getMetadata().getNamespace());
    f.add("Kind:", "EtcdRestore");
    f.add("Snapshot:", spec.snapshot);
    f.add("Phase:", st.phaseOrPending().name());
    f.add("Message:", st.message);
    f.add("Requested:", (spec.dryRun() ? "dry run (plan only)" : spec.confirmed()
        ? "confirmed restore" : "restore, not confirmed")
        + (Boolean.FALSE.equals(spec.safetySnapshot) ? ", no safety snapshot"
            : ", safety snapshot first")
        + ", peers " + (spec.peers == null ? "every other etcd server node"
            : spec.peers.isEmpty() ? "none (single server)" : String.join(", ", spec.peers)));
    StringBuilder out = new StringBuilder(f.render());
    if (st.plan != null) {
      out.append("Plan:\n").append(plan(st.plan, "  "));
    }
    if (!st.history.isEmpty()) {
      out.append("History:\n");
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("Time", "Phase", "Message"));
      for (PhaseTransition t : st.history) {
        rows.add(List.of(nz(t.time), t.phase == null ? "-" : t.phase.name(), nz(t.message)));
      }
      out.append(indent(OutputFormat.columns(rows), "  "));
    }
    conditions(out, st.conditions);
    return out.toString();
  }

  /** A restore's plan: server, peers, file, checksum, revision and numbered steps. */
  static String plan(RestorePlan plan, String indent) {
    Fields f = new Fields();
    f.add("Server:", plan.server);
    f.add("Peers:", plan.peers.isEmpty() ? "none (single server)" : String.join(", ", plan.peers));
    f.add("File:", plan.snapshotPath);
    f.add("SHA-256:", plan.sha256);
    f.add("Etcd revision:", plan.etcdRevision == null ? null : plan.etcdRevision.toString());
    StringBuilder out = new StringBuilder(indent(f.render(), indent));
    if (!plan.steps.isEmpty()) {
      out.append(indent).append("Steps:\n");
      for (int i = 0; i < plan.steps.size(); i++) {
        out.append(indent).append("  ").append(i + 1).append(". ").append(plan.steps.get(i))
            .append('\n');
      }
    }
    return out.toString();
  }

  private static String requested(EtcdSnapshotSpec spec) {
    if (spec == null) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    parts.add("prefix " + spec.namePrefixOrDefault());
    parts.add("node " + (spec.node == null ? "any etcd server" : spec.node));
    if (spec.compressed()) {
      parts.add("compressed");
    }
    parts.add("dir " + spec.localOrDefault().dirOrDefault());
    if (spec.s3 != null) {
      parts.add("s3 " + (spec.s3.endpoint == null ? "" : spec.s3.endpoint + " ") + "bucket "
          + spec.s3.bucket + (spec.s3.folder == null || spec.s3.folder.isEmpty() ? ""
              : " folder " + spec.s3.folder));
    }
    return String.join(", ", parts);
  }

  private static void conditions(StringBuilder out, List<Condition> conditions) {
    if (conditions == null || conditions.isEmpty()) {
      return;
    }
    out.append("Conditions:\n");
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("Type", "Status", "Reason", "Since", "Message"));
    for (Condition c : conditions) {
      rows.add(List.of(nz(c.getType()), nz(c.getStatus()), nz(c.getReason()),
          nz(c.getLastTransitionTime()), nz(c.getMessage())));
    }
    out.append(indent(OutputFormat.columns(rows), "  "));
  }

  private static String nz(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }

  private static String indent(String text, String indent) {
    return text.lines().map(l -> indent + l + "\n").reduce("", String::concat);
  }

  /** Label/value pairs, aligned; empty values are left out. */
  private static final class Fields {
    private final List<List<String>> rows = new ArrayList<>();

    void add(String label, String value) {
      if (value != null && !value.isEmpty()) {
        rows.add(List.of(label, value));
      }
    }

    String render() {
      return OutputFormat.columns(rows);
    }
  }
}
