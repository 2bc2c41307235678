package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A restore a node's journal remembers, as a new restore's preflight reads it: an EtcdRestore
 * applied again after the etcd rollback (same namespace, name and confirmation: GitOps does
 * this) is refused by it instead of restoring again.
 *
 * @param id the restore's id
 * @param namespace its EtcdRestore's namespace
 * @param name its EtcdRestore's name
 * @param confirmation its {@code spec.confirmation}, or null
 * @param touched whether it got as far as stopping K3s (anything before changes nothing)
 * @param outcome its last step's state and step, e.g. {@code Done start}
 * @param when when its last step ended
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PastRestore(RestoreId id, String namespace, String name, String confirmation,
    boolean touched, String outcome, String when) {

  /** What {@code report} remembers. */
  public static PastRestore of(RestoreReport report) {
    RestoreReport.Restore r = report.restore();
    boolean touched = report.steps().stream().anyMatch(s -> s.step() == RestoreStep.STOP);
    RestoreReport.StepReport last = report.steps().isEmpty() ? null
        : report.steps().get(report.steps().size() - 1);
    return new PastRestore(r.id(), r.namespace(), r.name(), r.confirmation(), touched,
        last == null ? "nothing began" : last.state() + " " + last.step(),
        last == null ? null : last.finished() != null ? last.finished() : last.started());
  }

  /** Whether this is the restore {@code namespace/name} with {@code confirmation}, again. */
  public boolean sameIntent(String namespace, String name, String confirmation) {
    return java.util.Objects.equals(this.namespace, namespace)
        && java.util.Objects.equals(this.name, name)
        && java.util.Objects.equals(blankToNull(this.confirmation), blankToNull(confirmation));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
