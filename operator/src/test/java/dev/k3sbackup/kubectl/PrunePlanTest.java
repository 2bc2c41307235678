package dev.k3sbackup.kubectl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.base.SnapshotException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** prune's choice among EtcdSnapshot resources, as K3s counts retention. */
class PrunePlanTest {

  private static final String DIR = "/var/lib/rancher/k3s/server/db/snapshots/";
  private static final java.time.Instant NOW = java.time.Instant.parse("2026-11-21T12:00:00Z");

  /** A snapshot taken at {@code unix} on {@code node}, with a local copy and optionally in S3. */
  private static EtcdSnapshot snap(String prefix, String node, long unix, String s3Folder,
      SnapshotPhase phase) {
    String file = prefix + "-" + node + "-" + unix;
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(prefix + "-" + unix);
    s.setStatus(new EtcdSnapshotStatus());
    s.getStatus().phase = phase;
    s.getStatus().node = node;
    if (phase == SnapshotPhase.Succeeded) {
      s.getStatus().snapshotName = file;
      s.getStatus().localPath = DIR + file;
      s.getStatus().size = 1024L;
      if (s3Folder != null) {
        s.getStatus().s3 = new S3Location();
        s.getStatus().s3.location = "s3://backups/" + s3Folder + "/" + file;
      }
    }
    return s;
  }

  private static List<String> deleted(PrunePlan plan) {
    return plan.delete().stream().map(s -> s.getMetadata().getName()).toList();
  }

  @Test
  void deletesTheOldestBeyondRetentionOldestFirst() {
    List<EtcdSnapshot> all = new ArrayList<>();
    for (long t = 100; t <= 500; t += 100) {
      all.add(snap("on-demand", "s1", t, null, SnapshotPhase.Succeeded));
    }

    PrunePlan plan = PrunePlan.of(all, "on-demand", 2, NOW);

    assertThat(deleted(plan)).containsExactly("on-demand-100", "on-demand-200", "on-demand-300");
    assertThat(plan.kept()).isEmpty();
  }

  @Test
  void neverCountsAdoptedSnapshotsSuchAsK3ssOwn() {
    List<EtcdSnapshot> all = new ArrayList<>();
    for (long t = 100; t <= 400; t += 100) {
      EtcdSnapshot k3s = snap("etcd-snapshot", "s1", t, null, SnapshotPhase.Succeeded);
      k3s.getStatus().adopted = true;
      all.add(k3s);
    }
    all.add(snap("etcd-snapshot", "s1", 50, null, SnapshotPhase.Succeeded));
    all.add(snap("etcd-snapshot", "s1", 60, null, SnapshotPhase.Succeeded));

    PrunePlan plan = PrunePlan.of(all, "etcd-snapshot", 1, NOW);

    assertThat(deleted(plan)).containsExactly("etcd-snapshot-50");
  }

  @Test
  void countsOnlySucceededSnapshotsWithThePrefixSoTheNewestSucceededStays() {
    List<EtcdSnapshot> all = List.of(
        snap("on-demand", "s1", 100, null, SnapshotPhase.Succeeded),
        snap("on-demand", "s1", 200, null, SnapshotPhase.Succeeded),
        snap("on-demand", "s1", 300, null, SnapshotPhase.Failed),
        snap("on-demand", "s1", 400, null, SnapshotPhase.Running),
        snap("etcd-snapshot", "s1", 50, null, SnapshotPhase.Succeeded),
        snap("etcd-snapshot", "s1", 60, null, SnapshotPhase.Succeeded));

    PrunePlan plan = PrunePlan.of(all, "on-demand", 1, NOW);

    assertThat(deleted(plan)).containsExactly("on-demand-100");
  }

  @Test
  void countsEachNodesSnapshotDirOnItsOwnAsK3sDoes() {
    List<EtcdSnapshot> all = List.of(
        snap("on-demand", "s1", 100, null, SnapshotPhase.Succeeded),
        snap("on-demand", "s2", 150, null, SnapshotPhase.Succeeded),
        snap("on-demand", "s1", 200, null, SnapshotPhase.Succeeded),
        snap("on-demand", "s2", 250, null, SnapshotPhase.Succeeded));

    PrunePlan plan = PrunePlan.of(all, "on-demand", 1, NOW);

    assertThat(deleted(plan)).containsExactly("on-demand-100", "on-demand-150");
  }

  @Test
  void aSnapshotGoesOnlyWhenEveryCopyIsBeyondRetentionInItsStore() {
    // s1 holds 100 and 300 locally; 100 and 200 (on s2) are also in S3, 300 is not
    List<EtcdSnapshot> all = List.of(
        snap("on-demand", "s1", 100, "k3s", SnapshotPhase.Succeeded),
        snap("on-demand", "s2", 200, "k3s", SnapshotPhase.Succeeded),
        snap("on-demand", "s1", 300, null, SnapshotPhase.Succeeded));

    PrunePlan plan = PrunePlan.of(all, "on-demand", 1, NOW);

    // 100: beyond on s1 (300 is newer) and in S3 (200 is newer): goes
    assertThat(deleted(plan)).containsExactly("on-demand-100");
    assertThat(plan.kept()).isEmpty();

    PrunePlan two = PrunePlan.of(all, "on-demand", 2, NOW);
    // 100: beyond nowhere in S3 (2 objects), so it stays, with no copy beyond at all
    assertThat(deleted(two)).isEmpty();

    List<EtcdSnapshot> mixed = List.of(
        snap("on-demand", "s1", 100, null, SnapshotPhase.Succeeded),
        snap("on-demand", "s1", 200, "k3s", SnapshotPhase.Succeeded),
        snap("on-demand", "s2", 300, "k3s", SnapshotPhase.Succeeded));
    PrunePlan partly = PrunePlan.of(mixed, "on-demand", 1, NOW);
    // 200: beyond in S3 (300 is newer) but the newest local copy on s1: stays, and says so
    assertThat(deleted(partly)).containsExactly("on-demand-100");
    assertThat(partly.kept()).singleElement().satisfies(k -> {
      assertThat(k.resource()).isEqualTo("on-demand-200");
      assertThat(k.reason()).contains("file://" + DIR + "on-demand-s1-200")
          .contains("snapshot dir of s1");
    });
  }

  @Test
  void refusesRetentionBelowOneNamingTheFlag() {
    assertThatThrownBy(() -> PrunePlan.of(List.of(), "on-demand", 0, NOW))
        .isInstanceOf(SnapshotException.class)
        .hasMessageContaining("--snapshot-retention 0")
        .hasMessageContaining("give 1 or more");
  }

  @Test
  void refusesAPrefixThatIsNotAPlainName() {
    assertThatThrownBy(() -> PrunePlan.of(List.of(), "../x", 3, NOW))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("--name");
  }
}
