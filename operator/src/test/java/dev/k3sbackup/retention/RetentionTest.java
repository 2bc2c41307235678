package dev.k3sbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The retention engine's decisions, as the CLI, the plugin and the schedules use them. */
class RetentionTest {

  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private static final Store LOCAL = Store.local("s1");

  private static Copy<String> copy(String name, Store store) {
    return new Copy<>(name, store, name, SnapshotName.parse(name).orElseThrow().createdAt(),
        "file:///s/" + name);
  }

  private static List<Copy<String>> store(Store store, String... names) {
    return Stream.of(names).map(n -> copy(n, store)).toList();
  }

  private static List<String> names(List<Copy<String>> copies) {
    return copies.stream().map(Copy::name).toList();
  }

  private static List<String> kept(Decisions<String> d) {
    return d.all().stream().filter(Decision::kept).map(x -> x.copy().name()).toList();
  }

  @Test
  void prunesOldestBeyondRetentionByTheTimeInTheName() {
    List<Copy<String>> store = store(LOCAL, "etcd-snapshot-b-300", "etcd-snapshot-a-100",
        "etcd-snapshot-a-400.zip", "etcd-snapshot-c-200", "on-demand-a-50");

    Decisions<String> d = Retention.decide(store, RetentionPolicy.fromFlags("etcd-snapshot", 2),
        s -> true, NOW);

    assertThat(kept(d)).containsExactly("etcd-snapshot-a-400.zip", "etcd-snapshot-b-300");
    assertThat(names(d.deleted())).containsExactly("etcd-snapshot-c-200", "etcd-snapshot-a-100");
  }

  @Test
  void newestVerifiedStopsAtTheFirstThatPasses() {
    List<Copy<String>> store = store(LOCAL, "p-a-3", "p-a-2", "p-a-1");
    List<String> checked = new ArrayList<>();

    Decisions<String> d = Retention.decide(store, RetentionPolicy.fromFlags("p", 1), s -> {
      checked.add(s);
      return !s.equals("p-a-3");
    }, NOW);

    assertThat(names(d.spared())).containsExactly("p-a-2");
    assertThat(checked).containsExactly("p-a-3", "p-a-2");
    assertThat(names(d.deleted())).containsExactly("p-a-1");
  }

  @Test
  void refusesRetentionBelowOne() {
    assertThatThrownBy(() -> RetentionPolicy.fromFlags("p", 0))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("--snapshot-retention 0");
    assertThatThrownBy(() -> RetentionPolicy.keepNewest(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesAPrefixThatIsNotAPlainName() {
    assertThatThrownBy(() -> RetentionPolicy.fromFlags("../x", 3))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("--name");
  }

  @Test
  void countsEachNodesDirAndEachS3FolderOnItsOwn() {
    Store s2 = Store.local("s2");
    Store bucket = Store.s3("s3://backups/k3s/");
    List<Copy<String>> copies = new ArrayList<>();
    copies.addAll(store(LOCAL, "p-s1-100", "p-s1-300"));
    copies.addAll(store(s2, "p-s2-200", "p-s2-400"));
    copies.addAll(store(bucket, "p-s1-100", "p-s2-200", "p-s1-300", "p-s2-400"));

    Decisions<String> d = Retention.decide(copies, RetentionPolicy.keepNewest(1), s -> true, NOW);

    assertThat(d.deleted()).extracting(c -> c.store().where() + " " + c.name()).containsExactly(
        "s1 p-s1-100", "s2 p-s2-200", "s3://backups/k3s/ p-s1-300",
        "s3://backups/k3s/ p-s2-200", "s3://backups/k3s/ p-s1-100");
  }

  @Test
  void saysWhichRuleKeepsOrDeletesEachCopy() {
    List<Copy<String>> store = store(LOCAL, "p-a-5", "p-a-4", "p-a-3", "p-a-2", "p-a-1");

    Decisions<String> d = Retention.decide(store, RetentionPolicy.keepNewest(2),
        s -> s.equals("p-a-2"), NOW);

    assertThat(d.all()).extracting(x -> x.copy().name() + " " + x.reason()).containsExactly(
        "p-a-5 WITHIN_RETENTION", "p-a-4 WITHIN_RETENTION", "p-a-3 BEYOND_RETENTION",
        "p-a-2 NEWEST_GOOD", "p-a-1 BEYOND_RETENTION");
  }

  @Test
  void asksWhetherASnapshotIsGoodOnlyInAStoreThatLosesCopies() {
    List<String> checked = new ArrayList<>();

    Decisions<String> d = Retention.decide(store(LOCAL, "p-a-2", "p-a-1"),
        RetentionPolicy.keepNewest(2), s -> checked.add(s), NOW);

    assertThat(d.deleted()).isEmpty();
    assertThat(checked).as("verifying streams a whole snapshot: only when it matters").isEmpty();
  }

  @Test
  void neverDeletesTheNewestGoodCopyEvenWhenEveryOtherIsBad() {
    Decisions<String> d = Retention.decide(store(LOCAL, "p-a-3", "p-a-2", "p-a-1"),
        RetentionPolicy.keepNewest(1), s -> s.equals("p-a-1"), NOW);

    assertThat(names(d.deleted())).containsExactly("p-a-2");
    assertThat(names(d.spared())).containsExactly("p-a-1");
  }

  @Test
  void leavesCopiesWithoutThePrefixUncounted() {
    Decisions<String> d = Retention.decide(store(LOCAL, "on-demand-a-1", "etcd-snapshot-a-2"),
        RetentionPolicy.fromFlags("on-demand", 1), s -> true, NOW);

    assertThat(d.all()).extracting(x -> x.copy().name()).containsExactly("on-demand-a-1");
    assertThat(d.of("etcd-snapshot-a-2")).isEmpty();
  }

  @Test
  void aSnapshotGoesOnlyWhenEveryCopyOfItGoes() {
    String old = "p-s1-100";
    String newer = "p-s1-200";
    Store bucket = Store.s3("s3://backups/");
    List<Copy<String>> copies = List.of(new Copy<>(old, LOCAL, old, Instant.ofEpochSecond(100),
        "file:///s/" + old), new Copy<>(old, bucket, old, Instant.ofEpochSecond(100),
        "s3://backups/" + old), new Copy<>(newer, bucket, newer, Instant.ofEpochSecond(200),
        "s3://backups/" + newer));

    Decisions<String> d = Retention.decide(copies, RetentionPolicy.keepNewest(1), s -> true,
        NOW);

    assertThat(d.deleted(old, Store.Kind.S3)).isTrue();
    assertThat(d.deleted(old, Store.Kind.LOCAL)).isFalse();
    assertThat(d.allDeleted(old)).as("its local copy is the newest on s1").isFalse();
  }

  @Test
  void copiesOfTheSameTimeAreOrderedByName() {
    Decisions<String> d = Retention.decide(store(LOCAL, "p-a-7", "p-b-7", "p-c-7"),
        RetentionPolicy.keepNewest(2), s -> true, NOW);

    assertThat(kept(d)).containsExactly("p-c-7", "p-b-7");
  }
}
