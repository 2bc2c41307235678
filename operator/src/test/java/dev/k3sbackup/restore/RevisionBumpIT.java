package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.testing.EtcdV36;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Processes;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The revision bump on a real snapshot of etcd v3.6 (the etcd K3s v1.34 embeds), judged by etcd
 * v3.6's own tools: {@code etcdutl snapshot status} reads the bumped revision, {@code etcdutl
 * snapshot restore} of the copy passes its hash check (as K3s's restore runs it: no skip, no
 * bump), and an etcd started on that restore serves the same keys and refuses a watch from the
 * old revisions as compacted.
 */
class RevisionBumpIT {

  @TempDir
  static Path shared;

  @TempDir
  Path dir;

  static Path etcdutl;
  static Path snapshot;
  static long snapshotRevision;
  static String keysAtSnapshot;

  @BeforeAll
  static void saveASnapshotOfEtcd36() {
    etcdutl = EtcdV36.binaries().resolve("etcdutl");
    try (EtcdV36.Server etcd = EtcdV36.Server.start(shared.resolve("source"), "source")) {
      etcd.etcdctlOk("put", "/registry/configmaps/default/a", "1");
      etcd.etcdctlOk("put", "/registry/configmaps/default/b", "2");
      etcd.etcdctlOk("put", "/registry/configmaps/default/a", "3");
      etcd.etcdctlOk("del", "/registry/configmaps/default/b");
      keysAtSnapshot = etcd.etcdctlOk("get", "--prefix", "/registry/");
      snapshotRevision = etcd.revision();
      snapshot = shared.resolve("on-demand-n1-1700000000");
      etcd.etcdctlOk("snapshot", "save", snapshot.toString());
    }
  }

  @Test
  void theBumpedCopyIsASnapshotFarAheadThatRestoresWithItsHashCheckAndRefusesOldWatches()
      throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));

    RevisionBump.Result result = new RevisionBump(etcdutl, Duration.ofMinutes(2))
        .bump(snapshot, work, OptionalLong.empty());

    long bumped = snapshotRevision + 1_000_000_000L;
    assertThat(result.file()).isEqualTo(work.resolve("on-demand-n1-1700000000.revision-bumped"));
    assertThat(list(work)).containsExactly("on-demand-n1-1700000000.revision-bumped");
    assertThat(result.snapshotRevision()).isEqualTo(snapshotRevision);
    assertThat(result.amount()).isEqualTo(1_000_000_000L);
    assertThat(result.revision()).isEqualTo(bumped);
    assertThat(result.sha256()).isEqualTo(Hashes.sha256(result.file()));
    assertThat(result.size()).isEqualTo(Files.size(result.file()));
    // etcd's own tool reads the bumped revision
    Processes.Result status = EtcdV36.etcdutl("snapshot", "status", result.file().toString(),
        "-w", "json");
    assertThat(status.exitCode()).as(status.output()).isZero();
    assertThat(status.output()).contains("\"revision\":" + bumped);

    // restored as K3s restores it: etcdutl's snapshot restore, hash check on, no bump
    Path restored = dir.resolve("restored");
    String peer = "http://127.0.0.1:" + Processes.freePort();
    List<String> restore = new java.util.ArrayList<>(List.of("snapshot", "restore",
        result.file().toString()));
    restore.addAll(EtcdV36.Server.restoreFlags(restored, "k3s-server-1", peer));
    Processes.Result r = EtcdV36.etcdutl(restore.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.output()).isZero();
    try (EtcdV36.Server etcd = EtcdV36.Server.start(restored, "k3s-server-1")) {
      assertThat(etcd.etcdctlOk("get", "--prefix", "/registry/")).isEqualTo(keysAtSnapshot);
      assertThat(etcd.revision()).isEqualTo(bumped);
      // a watch from the old revision (an informer's resourceVersion) is refused as compacted
      Processes.Result oldWatch = etcd.etcdctl("watch", "--prefix", "/registry/", "--rev",
          Long.toString(snapshotRevision));
      assertThat(oldWatch.exitCode()).as(oldWatch.output()).isNotZero();
      assertThat(oldWatch.output()).contains("required revision has been compacted");
      Processes.Result justBelow = etcd.etcdctl("get", "/registry/configmaps/default/a",
          "--rev", Long.toString(bumped - 1));
      assertThat(justBelow.output()).contains("required revision has been compacted");
      // and writes go on from the bumped revision
      etcd.etcdctlOk("put", "/registry/configmaps/default/c", "4");
      assertThat(etcd.revision()).isEqualTo(bumped + 1);
    }
  }

  @Test
  void k3sCompressedSnapshotIsBumpedFromItsOneEntryAndTheUnzippedCopyIsGone() throws Exception {
    Path zip = dir.resolve("etcd-snapshot-n1-1700000001.zip");
    try (OutputStream file = Files.newOutputStream(zip);
        ZipOutputStream out = new ZipOutputStream(file)) {
      out.putNextEntry(new ZipEntry("etcd-snapshot-n1-1700000001"));
      Files.copy(snapshot, out);
      out.closeEntry();
    }
    Path work = Files.createDirectories(dir.resolve("work"));

    RevisionBump.Result result = new RevisionBump(etcdutl, Duration.ofMinutes(2))
        .bump(zip, work, OptionalLong.empty());

    assertThat(list(work)).containsExactly("etcd-snapshot-n1-1700000001.revision-bumped");
    assertThat(EtcdV36.etcdutl("snapshot", "status", result.file().toString(), "-w", "json")
        .output()).contains("\"revision\":" + (snapshotRevision + 1_000_000_000L));
  }

  @Test
  void theRevisionBeforeTheRestoreRaisesTheBumpPastIt() throws Exception {
    long before = snapshotRevision + 3_000_000_000L;

    RevisionBump.Result result = new RevisionBump(etcdutl, Duration.ofMinutes(2))
        .bump(snapshot, dir, OptionalLong.of(before));

    assertThat(result.revision()).isEqualTo(before + 1_000_000_000L);
    assertThat(EtcdV36.etcdutl("snapshot", "status", result.file().toString(), "-w", "json")
        .output()).contains("\"revision\":" + result.revision());
  }

  @Test
  void aCorruptedSnapshotIsRefusedByEtcdutlsHashCheckAndNothingIsWritten() throws Exception {
    Path corrupt = dir.resolve("etcd-snapshot-n1-1700000002");
    Files.copy(snapshot, corrupt);
    try (RandomAccessFile f = new RandomAccessFile(corrupt.toFile(), "rw")) {
      // a byte of the database's last page: the trailer no longer matches
      long at = f.length() - 32 - 100;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0xff);
    }
    Path work = Files.createDirectories(dir.resolve("work"));

    assertThatThrownBy(() -> new RevisionBump(etcdutl, Duration.ofMinutes(2))
        .bump(corrupt, work, OptionalLong.empty()))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("etcdutl snapshot restore of " + corrupt + " failed")
        .hasMessageContaining("sha256")
        .hasMessageContaining("nothing was written");
    assertThat(list(work)).isEmpty();
  }

  private static List<String> list(Path work) throws Exception {
    try (Stream<Path> files = Files.list(work)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
