package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a schedule names its runs' EtcdSnapshots. */
class EtcdSnapshotScheduleReconcilerTest {

  @Test
  void childNamesAreOnePerRun() {
    assertThat(EtcdSnapshotScheduleReconciler.childName("k3s-default", 29_000_000L, null))
        .isEqualTo("k3s-default-29000000");
    assertThat(EtcdSnapshotScheduleReconciler.childName("k3s-default", 29_000_000L, "server-2"))
        .isEqualTo("k3s-default-29000000-server-2");
  }

  @Test
  void childNamesFitAndNeverCollideForLongSchedulesAndNodes() {
    String schedule = "s".repeat(63);
    String a = EtcdSnapshotScheduleReconciler.childName(schedule, 29_000_000L, null);
    String b = EtcdSnapshotScheduleReconciler.childName(schedule, 29_000_001L, null);
    assertThat(a).hasSize(63).endsWith("-29000000");
    assertThat(b).endsWith("-29000001").isNotEqualTo(a);
    String node = "n".repeat(60);
    String perNode = EtcdSnapshotScheduleReconciler.childName("nightly", 29_000_000L, node);
    assertThat(perNode.length()).isLessThanOrEqualTo(63);
    assertThat(perNode).isNotEqualTo(EtcdSnapshotScheduleReconciler.childName("nightly",
        29_000_000L, "n".repeat(59) + "m"));
  }
}
