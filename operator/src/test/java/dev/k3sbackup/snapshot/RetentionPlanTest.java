package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.SnapshotName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.storage.StoredSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionPlanTest {

  private static StoredSnapshot snap(String name) {
    var parsed = SnapshotName.parse(name).orElseThrow();
    return new StoredSnapshot(name, StoredSnapshot.Storage.LOCAL, "file:///s/" + name, 1,
        parsed.createdAt(), null, parsed.compressed(), Map.of());
  }

  @Test
  void prunesOldestBeyondRetentionByTheTimeInTheName() {
    List<StoredSnapshot> store = List.of(snap("etcd-snapshot-b-300"), snap("etcd-snapshot-a-100"),
        snap("etcd-snapshot-a-400.zip"), snap("etcd-snapshot-c-200"), snap("on-demand-a-50"));
    RetentionPlan plan = RetentionPlan.of(store, "etcd-snapshot", 2);
    assertThat(plan.kept()).extracting(StoredSnapshot::name)
        .containsExactly("etcd-snapshot-a-400.zip", "etcd-snapshot-b-300");
    assertThat(plan.beyondRetention()).extracting(StoredSnapshot::name)
        .containsExactly("etcd-snapshot-c-200", "etcd-snapshot-a-100");
  }

  @Test
  void newestVerifiedStopsAtTheFirstThatPasses() {
    List<StoredSnapshot> store = List.of(snap("p-a-3"), snap("p-a-2"), snap("p-a-1"));
    List<String> checked = new java.util.ArrayList<>();
    var found = RetentionPlan.of(store, "p", 1).newestVerified(s -> {
      checked.add(s.name());
      return !s.name().equals("p-a-3");
    });
    assertThat(found).map(StoredSnapshot::name).contains("p-a-2");
    assertThat(checked).containsExactly("p-a-3", "p-a-2");
  }

  @Test
  void refusesRetentionBelowOne() {
    assertThatThrownBy(() -> RetentionPlan.of(List.of(), "p", 0))
        .hasMessageContaining("--snapshot-retention 0");
  }
}
