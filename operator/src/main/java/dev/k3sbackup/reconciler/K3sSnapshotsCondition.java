package dev.k3sbackup.reconciler;

import dev.k3sbackup.base.K3sSnapshotSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The schedule's {@code K3sSnapshots} condition, decided from what each etcd node says about
 * K3s's own schedule (a pure function): True while K3s takes its own snapshots on some node
 * (reason {@value #ON}, or {@value #COLLIDES} when the prefixes would let one side's retention
 * delete the other's files), with the advice; False when K3s's are off on every node; Unknown
 * while some node has not told yet.
 *
 * @param status True, False or Unknown
 * @param reason CamelCase
 * @param message what K3s does and what to do
 */
record K3sSnapshotsCondition(String status, String reason, String message) {

  static final String ON = "K3sScheduleOn";
  static final String COLLIDES = "PrefixCollides";
  static final String OFF = "K3sScheduleOff";
  static final String UNKNOWN = "NotScannedYet";

  private static final String DISABLE = "set etcd-disable-snapshots: true in "
      + "/etc/rancher/k3s/config.yaml (or a config.yaml.d drop-in) on each server node and "
      + "restart K3s (systemctl restart k3s)";

  /**
   * @param byNode each etcd node's K3s schedule, empty where nothing tells yet
   * @param ourPrefix the prefix this schedule's snapshots are named with
   */
  static K3sSnapshotsCondition of(Map<String, Optional<K3sSnapshotSchedule>> byNode,
      String ourPrefix) {
    List<String> on = new ArrayList<>();
    List<String> colliding = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    K3sSnapshotSchedule example = null;
    for (var e : byNode.entrySet()) {
      if (e.getValue().isEmpty()) {
        unknown.add(e.getKey());
        continue;
      }
      K3sSnapshotSchedule k3s = e.getValue().get();
      if (k3s.enabled()) {
        on.add(e.getKey());
        example = example == null ? k3s : example;
        if (k3s.collidesWith(ourPrefix)) {
          colliding.add(e.getKey());
          example = k3s;
        }
      }
    }
    if (!colliding.isEmpty()) {
      return new K3sSnapshotsCondition("True", COLLIDES, "K3s takes its own snapshots on "
          + String.join(", ", on) + ": it " + example.describe() + " (from "
          + example.source() + "), and this schedule's prefix '" + ourPrefix + "' and K3s's '"
          + example.prefix() + "' overlap, so K3s's retention would delete this schedule's "
          + "snapshots (it deletes every file that starts with its prefix) and a prune of ours "
          + "could count K3s's: change spec.snapshotTemplate.namePrefix (leave it out for "
          + "k3sbackup-scheduled, which never overlaps), or " + DISABLE);
    }
    if (!on.isEmpty()) {
      return new K3sSnapshotsCondition("True", ON, "K3s takes its own snapshots on "
          + String.join(", ", on) + ": it " + example.describe() + " (from " + example.source()
          + "). Both may run: the prefixes '" + ourPrefix + "' and '" + example.prefix()
          + "' do not overlap, so neither retention deletes the other's files. To keep only "
          + "this schedule, " + DISABLE);
    }
    if (!unknown.isEmpty()) {
      return new K3sSnapshotsCondition("Unknown", UNKNOWN, "not yet known whether K3s takes its "
          + "own snapshots on " + String.join(", ", unknown) + " (no k3s.io/node-args "
          + "annotation, and no node scan has read config.yaml there yet)");
    }
    return new K3sSnapshotsCondition("False", OFF, byNode.isEmpty() ? "no etcd server node"
        : "K3s's own scheduled snapshots are off on every etcd node (etcd-disable-snapshots): "
        + "this schedule is the only one");
  }
}
