package dev.k3sbackup.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SnapshotNameTest {

  @Test
  void followsK3sNaming() {
    SnapshotName n = SnapshotName.of("etcd-snapshot", "server-1",
        Instant.ofEpochSecond(1_700_000_000L), false);
    assertThat(n.fileName()).isEqualTo("etcd-snapshot-server-1-1700000000");
    assertThat(SnapshotName.of("on-demand", "s", Instant.ofEpochSecond(5), true).fileName())
        .isEqualTo("on-demand-s-5.zip");
  }

  @Test
  void parsesNamesK3sWrote() {
    var p = SnapshotName.parse("etcd-snapshot-ip-10-0-0-1-1700000000.zip").orElseThrow();
    assertThat(p.compressed()).isTrue();
    assertThat(p.baseName()).isEqualTo("etcd-snapshot-ip-10-0-0-1-1700000000");
    assertThat(p.createdAt()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L));
    assertThat(p.hasPrefix("etcd-snapshot")).isTrue();
    assertThat(p.hasPrefix("on-demand")).isFalse();
  }

  @Test
  void encryptedNamesEndInAgeAfterZipAndParseBack() {
    SnapshotName n = SnapshotName.of("k3sbackup-scheduled", "s1", Instant.ofEpochSecond(7), true,
        true);
    assertThat(n.fileName()).isEqualTo("k3sbackup-scheduled-s1-7.zip.age");
    var p = SnapshotName.parse(n.fileName()).orElseThrow();
    assertThat(p.encrypted()).isTrue();
    assertThat(p.compressed()).isTrue();
    assertThat(p.baseName()).isEqualTo("k3sbackup-scheduled-s1-7");
    assertThat(p.createdAt()).isEqualTo(Instant.ofEpochSecond(7));
    var plain = SnapshotName.parse("k3sbackup-scheduled-s1-7.age").orElseThrow();
    assertThat(plain.encrypted()).isTrue();
    assertThat(plain.compressed()).isFalse();
    assertThat(SnapshotName.parse("k3sbackup-scheduled-s1-7").orElseThrow().encrypted())
        .isFalse();
  }

  @Test
  void decryptedCopiesAreNotTakenForSnapshots() {
    assertThat(SnapshotName.decryptedFileName("a-s1-7.zip.age")).isEqualTo("a-s1-7.decrypted.zip");
    assertThat(SnapshotName.decryptedFileName("a-s1-7.age")).isEqualTo("a-s1-7.decrypted");
    assertThat(SnapshotName.parse("a-s1-7.decrypted.zip")).isEmpty();
    assertThat(SnapshotName.parse("a-s1-7.decrypted")).isEmpty();
    assertThat(SnapshotName.isDecryptedCopy("a-s1-7.decrypted.zip")).isTrue();
    assertThat(SnapshotName.isDecryptedCopy("a-s1-7.zip")).isFalse();
  }

  @Test
  void ignoresPartFilesHiddenFilesAndOtherNames() {
    assertThat(SnapshotName.parse("on-demand-n-1700000000.part")).isEmpty();
    assertThat(SnapshotName.parse(".metadata")).isEmpty();
    assertThat(SnapshotName.parse("notes.txt")).isEmpty();
  }

  @Test
  void refusesComponentsThatEscapeTheDir() {
    for (String bad : new String[] {"a/b", "..", "../x", ".hidden", "a\\b", "", " "}) {
      assertThatThrownBy(() -> SnapshotName.requireSafeComponent("--name", bad))
          .as(bad).isInstanceOf(SnapshotException.class).hasMessageContaining("--name");
    }
  }
}
