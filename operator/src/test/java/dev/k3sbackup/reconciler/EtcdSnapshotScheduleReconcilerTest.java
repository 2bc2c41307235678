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
}
