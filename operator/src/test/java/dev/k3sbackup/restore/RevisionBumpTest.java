package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.base.TrailerCheck;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bump's arithmetic, the copy's trailer, K3s's zip, and its failures against stand-in
 * {@code etcdutl} executables (fakes, named as such). The real etcdutl is judged in
 * {@code RevisionBumpIT}.
 */
class RevisionBumpTest {

  @TempDir
  Path dir;

  @Test
  void amountIsOpenShiftsBillionWhenTheRevisionBeforeTheRestoreIsUnknown() {
    assertThat(RevisionBump.amount(1234, OptionalLong.empty())).isEqualTo(1_000_000_000L);
  }

  @Test
  void amountCoversTheGapToTheRevisionBeforeTheRestoreWithTheBillionToSpare() {
    // an old snapshot of a busy cluster: five billion writes since it was taken
    assertThat(RevisionBump.amount(100, OptionalLong.of(5_000_000_100L)))
        .isEqualTo(6_000_000_000L);
  }

  @Test
  void amountIsNeverBelowTheBillionWhenTheSnapshotIsAheadOfTheCluster() {
    assertThat(RevisionBump.amount(9_000, OptionalLong.of(10))).isEqualTo(1_000_000_000L);
  }

  @Test
  void theCopyIsTheDatabaseFollowedByItsSha256AsEtcdsTrailer() throws Exception {
    Path db = dir.resolve("db");
    byte[] content = new byte[3 * 4096];
    new Random(7).nextBytes(content);
    Files.write(db, content);
    Path part = dir.resolve("copy.part");

    TrailerCheck.Result result = RevisionBump.writeWithTrailer(db, part);

    byte[] written = Files.readAllBytes(part);
    assertThat(written).hasSize(content.length + 32);
    assertThat(java.util.Arrays.copyOf(written, content.length)).isEqualTo(content);
    assertThat(java.util.Arrays.copyOfRange(written, content.length, written.length))
        .isEqualTo(MessageDigest.getInstance("SHA-256").digest(content));
    assertThat(result.ok()).isTrue();
    assertThat(result.sha256()).isEqualTo(java.util.HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(written)));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(part)))
        .isEqualTo("rw-------");
  }

  @Test
  void aDatabaseThatCannotBeASnapshotIsRefused() throws Exception {
    Path db = dir.resolve("db");
    Files.write(db, new byte[1000]);

    assertThatThrownBy(() -> RevisionBump.writeWithTrailer(db, dir.resolve("copy.part")))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("not an etcd snapshot").hasMessageContaining("nothing was written");
  }

  @Test
  void k3sZipIsUnzippedToItsOneEntry() throws Exception {
    byte[] content = new byte[4096 + 32];
    new Random(3).nextBytes(content);
    Path zip = zip("on-demand-n1-1700000000", content);

    Path raw = dir.resolve("raw");
    RevisionBump.unzip(zip, raw);

    assertThat(Files.readAllBytes(raw)).isEqualTo(content);
  }

  @Test
  void aZipOfTwoEntriesIsNotK3ssAndIsRefused() throws Exception {
    Path zip = dir.resolve("two.zip");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (String name : new String[] {"a", "b"}) {
        out.putNextEntry(new ZipEntry(name));
        out.write(new byte[10]);
        out.closeEntry();
      }
    }

    assertThatThrownBy(() -> RevisionBump.unzip(zip, dir.resolve("raw")))
        .isInstanceOf(RestoreException.class).hasMessageContaining("more than one entry");
  }

  @Test
  void withoutEtcdutlItFailsSayingWhereItLookedAndWritesNothing() throws Exception {
    Path snapshot = Files.write(dir.resolve("snap"), new byte[512 + 32]);
    Path work = Files.createDirectories(dir.resolve("work"));

    assertThatThrownBy(() -> new RevisionBump(dir.resolve("no/etcdutl"), Duration.ofSeconds(5))
        .bump(snapshot, work, OptionalLong.empty()))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("etcdutl is not at " + dir.resolve("no/etcdutl"))
        .hasMessageContaining("/usr/local/bin/etcdutl")
        .hasMessageContaining("nothing was written");
    assertThat(list(work)).isEmpty();
  }

  @Test
  void anEtcdutlThatFailsIsReportedWithItsOutputAndLeavesNothing() throws Exception {
    Path snapshot = Files.write(dir.resolve("snap"), new byte[512 + 32]);
    Path work = Files.createDirectories(dir.resolve("work"));
    Files.writeString(work.resolve("keep-me"), "not ours");
    Path fake = standIn("fake-etcdutl", "echo 'Error: expected sha256 [1 2 3], got [4 5 6]' >&2\n"
        + "exit 1\n");

    assertThatThrownBy(() -> new RevisionBump(fake, Duration.ofSeconds(30))
        .bump(snapshot, work, OptionalLong.empty()))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("etcdutl snapshot status of the snapshot " + snapshot)
        .hasMessageContaining("exit 1").hasMessageContaining("expected sha256")
        .hasMessageContaining("nothing was written");
    assertThat(list(work)).containsExactly("keep-me");
  }

  @Test
  void anEtcdutlRestoreThatFailsLeavesNoPartialCopy() throws Exception {
    Path snapshot = Files.write(dir.resolve("snap"), new byte[512 + 32]);
    Path work = Files.createDirectories(dir.resolve("work"));
    // status answers; restore writes a part of its data dir, then fails
    Path fake = standIn("fake-etcdutl", """
        if [ "$2" = status ]; then echo '{"hash":1,"revision":42,"totalKey":1}'; exit 0; fi
        mkdir -p "$5/member/snap" && head -c 4096 /dev/zero > "$5/member/snap/db"
        echo 'Error: database file (x) of the backend is missing' >&2
        exit 2
        """);

    assertThatThrownBy(() -> new RevisionBump(fake, Duration.ofSeconds(30))
        .bump(snapshot, work, OptionalLong.empty()))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("etcdutl snapshot restore of " + snapshot + " failed (exit 2)")
        .hasMessageContaining("backend is missing");
    assertThat(list(work)).isEmpty();
  }

  @Test
  void theScratchOfARunThatWasKilledIsRemovedByTheNext() throws Exception {
    Path snapshot = Files.write(dir.resolve("snap"), new byte[512 + 32]);
    Path work = Files.createDirectories(dir.resolve("work"));
    Files.createDirectories(work.resolve(RevisionBump.SCRATCH_PREFIX + "123/data/member"));
    Path fake = standIn("fake-etcdutl", "exit 1\n");

    assertThatThrownBy(() -> new RevisionBump(fake, Duration.ofSeconds(30))
        .bump(snapshot, work, OptionalLong.empty())).isInstanceOf(RestoreException.class);
    assertThat(list(work)).isEmpty();
  }

  @Test
  void anEtcdutlThatHangsIsKilledAtTheTimeout() throws Exception {
    Path snapshot = Files.write(dir.resolve("snap"), new byte[512 + 32]);
    Path work = Files.createDirectories(dir.resolve("work"));
    Path fake = standIn("fake-etcdutl", "exec sleep 60\n");
    long start = System.nanoTime();

    assertThatThrownBy(() -> new RevisionBump(fake, Duration.ofSeconds(1))
        .bump(snapshot, work, OptionalLong.empty()))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("did not finish within 1 s and was killed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThat(list(work)).isEmpty();
  }

  @Test
  void aCopyAtAnotherRevisionThanAskedIsNotKept() throws Exception {
    Path snapshot = Files.write(dir.resolve("etcd-snapshot-n1-1700000000"), new byte[512 + 32]);
    Path work = Files.createDirectories(dir.resolve("work"));
    // a restore that ignores --bump-revision: the copy reads back at the old revision
    Path fake = standIn("fake-etcdutl", """
        if [ "$2" = status ]; then echo '{"hash":1,"revision":42,"totalKey":1}'; exit 0; fi
        mkdir -p "$5/member/snap" && head -c 4096 /dev/zero > "$5/member/snap/db"
        """);

    assertThatThrownBy(() -> new RevisionBump(fake, Duration.ofSeconds(30))
        .bump(snapshot, work, OptionalLong.empty()))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("at revision 42, not 1000000042");
    assertThat(list(work)).isEmpty();
  }

  private Path standIn(String name, String body) throws Exception {
    Path exe = dir.resolve(name);
    Files.writeString(exe, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
    return exe;
  }

  private Path zip(String entry, byte[] content) throws Exception {
    Path zip = dir.resolve(entry + ".zip");
    try (OutputStream file = Files.newOutputStream(zip);
        ZipOutputStream out = new ZipOutputStream(file)) {
      out.putNextEntry(new ZipEntry(entry));
      out.write(content);
      out.closeEntry();
    }
    return zip;
  }

  private static java.util.List<String> list(Path work) throws Exception {
    try (Stream<Path> files = Files.list(work)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
