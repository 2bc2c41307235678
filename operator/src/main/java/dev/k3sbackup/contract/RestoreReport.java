package dev.k3sbackup.contract;

import dev.k3sbackup.api.v1alpha1.StepState;
import java.util.List;

/**
 * One node's restore journal as its agent reports it: from the restore Job's result while the
 * restore runs, and from the nodes (a {@code restore-agent journals} Job) after the etcd rollback.
 *
 * @param restore which restore, and this node's part in it
 * @param steps the steps begun so far, in order, each in its latest state
 */
public record RestoreReport(Restore restore, List<StepReport> steps) {

  /**
   * Which restore a journal belongs to, so that the operator can show its outcome on a recreated
   * resource when the etcd rollback removed the original.
   *
   * @param id the restore's id
   * @param namespace the EtcdRestore's namespace, or null for a manual run
   * @param name the EtcdRestore's name, or null for a manual run
   * @param snapshot the EtcdSnapshot restored
   * @param node this node
   * @param role this node's part
   * @param peers the server's peers (nodes), whose rejoining completes the restore
   * @param confirmation the EtcdRestore's {@code spec.confirmation}, or null: applied again
   *     with the same one, it does not restore again
   */
  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record Restore(RestoreId id, String namespace, String name, String snapshot,
      String node, RestoreRole role, List<String> peers, String confirmation) {

    public Restore(RestoreId id, String namespace, String name, String snapshot, String node,
        RestoreRole role, List<String> peers) {
      this(id, namespace, name, snapshot, node, role, peers, null);
    }

    public static Restore unnamed(RestoreId id) {
      return new Restore(id, null, null, null, null, null, List.of(), null);
    }

    public Restore {
      peers = peers == null ? List.of() : List.copyOf(peers);
    }
  }

  /**
   * One step as the operator shows it.
   *
   * @param step its name
   * @param state where it is
   * @param started when it began
   * @param finished when it ended, or null
   * @param message what happened (cut to 300 characters)
   */
  public record StepReport(RestoreStep step, StepState state, String started, String finished,
      String message) {}

  public RestoreReport {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }
}
