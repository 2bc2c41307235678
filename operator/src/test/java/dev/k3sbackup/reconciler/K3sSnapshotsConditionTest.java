package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.base.K3sSnapshotSchedule;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The schedule's K3sSnapshots condition: what K3s does beside it, and the advice. */
class K3sSnapshotsConditionTest {

  private static Optional<K3sSnapshotSchedule> k3s(String... args) {
    return Optional.of(K3sSnapshotSchedule.fromServerArgs(List.of(args),
        "node annotation k3s.io/node-args"));
  }

  private static Map<String, Optional<K3sSnapshotSchedule>> nodes(
      Optional<K3sSnapshotSchedule> s1, Optional<K3sSnapshotSchedule> s2) {
    Map<String, Optional<K3sSnapshotSchedule>> m = new TreeMap<>();
    m.put("s1", s1);
    m.put("s2", s2);
    return m;
  }

  @Test
  void k3sDefaultsBesideOursAreTrueWithTheAdvice() {
    var c = K3sSnapshotsCondition.of(nodes(k3s("server"), k3s("server")),
        "k3sbackup-scheduled");
    assertThat(c.status()).isEqualTo("True");
    assertThat(c.reason()).isEqualTo("K3sScheduleOn");
    assertThat(c.message()).contains("K3s takes its own snapshots on s1, s2")
        .contains("'0 */12 * * *', prefix etcd-snapshot, 5 kept")
        .contains("node annotation k3s.io/node-args").contains("do not overlap")
        .contains("etcd-disable-snapshots: true");
  }

  @Test
  void anOverlappingPrefixIsSaidWithTheFix() {
    var c = K3sSnapshotsCondition.of(nodes(k3s("server"), k3s("server",
        "--etcd-disable-snapshots")), "etcd-snapshot-hourly");
    assertThat(c.reason()).isEqualTo("PrefixCollides");
    assertThat(c.message()).contains("K3s's retention would delete this schedule's snapshots")
        .contains("spec.snapshotTemplate.namePrefix");
  }

  @Test
  void offEverywhereIsFalseAndUnknownUntilEveryNodeTold() {
    var off = K3sSnapshotsCondition.of(nodes(k3s("server", "--etcd-disable-snapshots"),
        k3s("server", "--etcd-disable-snapshots", "true")), "k3sbackup-scheduled");
    assertThat(off.status()).isEqualTo("False");
    assertThat(off.reason()).isEqualTo("K3sScheduleOff");
    var unknown = K3sSnapshotsCondition.of(nodes(k3s("server", "--etcd-disable-snapshots"),
        Optional.empty()), "k3sbackup-scheduled");
    assertThat(unknown.status()).isEqualTo("Unknown");
    assertThat(unknown.message()).contains("s2");
  }
}
