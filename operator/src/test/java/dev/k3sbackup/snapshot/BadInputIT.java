package dev.k3sbackup.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.storage.S3Config;
import dev.k3sbackup.storage.S3SnapshotStore;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.S3Fixture;
import dev.k3sbackup.testing.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input exits non-zero with a message naming the flag and the fix, and leaves
 * no file, part file, object or multipart upload behind.
 */
class BadInputIT {

  private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");
  private static final String BUCKET = "backups";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private S3Fixture s3;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket(BUCKET);
    dir = work.resolve("snapshots");
  }

  @AfterEach
  void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private EtcdProcess etcd() {
    if (etcd == null) {
      etcd = EtcdProcess.start(work);
      etcd.put("/registry/a", "1");
    }
    return etcd;
  }

  private List<String> save(String... more) {
    List<String> base = List.of("save", "--dir", dir.toString());
    return List.of(more).contains("--node-name") ? Cli.args(base, more)
        : Cli.args(Cli.args(base, "--node-name", "server-1"), more);
  }

  private List<String> saveTo(EtcdProcess e, String... more) {
    return Cli.args(save(more), "--endpoints", e.endpoint());
  }

  private List<String> withS3(List<String> args, List<String> s3Flags) {
    return Cli.args(args, s3Flags.toArray(String[]::new));
  }

  /** Nothing at all was left: no snapshot, no part file, no object, no pending upload. */
  private void assertNothingLeft() throws Exception {
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files).isEmpty();
      }
    }
    assertThat(s3.keys(BUCKET)).isEmpty();
    try (S3SnapshotStore store = S3SnapshotStore.connect(new S3Config(s3.endpoint(), null, false,
        S3Fixture.ACCESS_KEY, S3Fixture.SECRET_KEY, BUCKET, null, "", true, null))) {
      assertThat(store.pendingUploads()).isZero();
    }
  }

  /**
   * S3 down or refusing: the snapshot was still taken and verified locally (as K3s does), the
   * exit code says only the upload failed, and nothing is left in S3.
   */
  private void assertSavedLocallyOnly(Cli.Run run) throws Exception {
    assertThat(run.exitCode()).as(run.all()).isEqualTo(EtcdSnapshotCommand.EXIT_UPLOAD_FAILED);
    assertThat(run.err()).contains("the snapshot was saved and verified locally at");
    Path file = dir.resolve("on-demand-server-1-" + T.getEpochSecond());
    assertThat(file).isRegularFile();
    assertThat(dev.k3sbackup.testing.Etcdctl.snapshotStatus(file).revision()).isPositive();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
    assertThat(s3.keys(BUCKET)).isEmpty();
    try (S3SnapshotStore store = S3SnapshotStore.connect(new S3Config(s3.endpoint(), null, false,
        S3Fixture.ACCESS_KEY, S3Fixture.SECRET_KEY, BUCKET, null, "", true, null))) {
      assertThat(store.pendingUploads()).isZero();
    }
  }

  private Cli.Run run(List<String> args) {
    Cli.Run run = new Cli().at(T).run(args);
    assertThat(run.all()).doesNotContain(S3Fixture.SECRET_KEY).doesNotContain("wrong-secret");
    return run;
  }

  @Test
  void unreachableEtcdNamesTheEndpointFlag() throws Exception {
    int closed = Processes.freePort();
    Cli.Run run = run(save("--endpoints", "http://127.0.0.1:" + closed, "--etcd-timeout", "3s"));

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_FAILED);
    assertThat(run.err()).contains("cannot reach etcd at http://127.0.0.1:" + closed)
        .contains("check --endpoints");
    assertNothingLeft();
  }

  @Test
  void etcdCertificateFromAnotherCaIsRefusedWithTheTlsFlags() throws Exception {
    TlsFiles real = TlsFiles.generate(work.resolve("tls"), "real-ca");
    TlsFiles other = TlsFiles.generate(work.resolve("other"), "other-ca");
    etcd = EtcdProcess.startTls(work, real);

    Cli.Run run = run(saveTo(etcd, "--cacert", other.ca().toString(), "--cert",
        real.clientCert().toString(), "--key", real.clientKey().toString(),
        "--etcd-timeout", "5s"));

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_FAILED);
    assertThat(run.err()).contains("TLS with etcd").contains("--cacert").contains("--cert/--key");
    assertNothingLeft();

    Cli.Run wrongClient = run(saveTo(etcd, "--cacert", real.ca().toString(), "--cert",
        other.clientCert().toString(), "--key", other.clientKey().toString(),
        "--etcd-timeout", "5s"));
    assertThat(wrongClient.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_FAILED);
    assertThat(wrongClient.err()).contains("etcd").contains("--cert");
    assertNothingLeft();
  }

  @Test
  void badCaFilesNameTheirFlag() throws Exception {
    Path garbage = Files.writeString(work.resolve("ca.crt"), "this is not a certificate");
    Cli.Run etcdCa = run(save("--endpoints", "https://127.0.0.1:2379", "--cacert",
        garbage.toString()));
    assertThat(etcdCa.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(etcdCa.err()).contains("--cacert " + garbage + " is not a PEM certificate");

    Cli.Run missing = run(save("--endpoints", "https://127.0.0.1:2379", "--cacert",
        work.resolve("nope.crt").toString()));
    assertThat(missing.err()).contains("--cacert " + work.resolve("nope.crt") + " cannot be read");

    List<String> flags = Cli.args(s3.flags(BUCKET, null), "--s3-endpoint-ca", garbage.toString());
    Cli.Run s3Ca = run(withS3(saveTo(etcd()), flags));
    assertThat(s3Ca.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(s3Ca.err()).contains("--s3-endpoint-ca " + garbage + " is not a PEM certificate");
    assertNothingLeft();
  }

  @Test
  void aMissingBucketIsNamedAndTheSnapshotIsStillSavedLocally() throws Exception {
    Cli.Run run = run(withS3(saveTo(etcd()), s3.flags("no-such-bucket", null)));

    assertThat(run.err()).contains("bucket 'no-such-bucket' does not exist")
        .contains("create it first").contains("--s3-bucket");
    assertSavedLocallyOnly(run);
  }

  @Test
  void aNameTakenInS3IsNeverOverwrittenAndNothingIsLeft() throws Exception {
    String name = "on-demand-server-1-" + T.getEpochSecond();
    Path precious = Files.writeString(work.resolve("precious"), "precious");
    s3.putAsK3s(BUCKET, name, precious, "server-1");

    Cli.Run run = run(withS3(saveTo(etcd()), s3.flags(BUCKET, null)));

    assertThat(run.exitCode()).as(run.all()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains("s3://" + BUCKET + "/" + name
        + " already exists: nothing was overwritten");
    assertThat(s3.text(BUCKET, name)).isEqualTo("precious");
    s3.remove(BUCKET, name);
    assertNothingLeft();
  }

  @Test
  void wrongS3KeysNameTheKeyFlagsWithoutPrintingThemAndTheSnapshotIsSavedLocally()
      throws Exception {
    List<String> flags = s3.flags(BUCKET, null);
    flags.set(flags.indexOf(S3Fixture.SECRET_KEY), "wrong-secret");

    Cli.Run run = run(withS3(saveTo(etcd()), flags));

    assertThat(run.err()).contains("--s3-access-key and --s3-secret-key");
    assertSavedLocallyOnly(run);
  }

  @Test
  void keysComeFromTheEnvironmentToo() throws Exception {
    List<String> flags = s3.flags(BUCKET, null);
    flags.removeAll(List.of("--s3-access-key", S3Fixture.ACCESS_KEY, "--s3-secret-key",
        S3Fixture.SECRET_KEY));
    Cli.Run run = new Cli().at(T).env("AWS_ACCESS_KEY_ID", S3Fixture.ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", S3Fixture.SECRET_KEY)
        .run(withS3(saveTo(etcd()), flags));
    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(s3.keys(BUCKET)).contains("on-demand-server-1-" + T.getEpochSecond());
  }

  @Test
  void unreachableS3NamesTheEndpointFlags() throws Exception {
    List<String> flags = s3.flags(BUCKET, null);
    flags.set(flags.indexOf(s3.endpoint()), "127.0.0.1:" + Processes.freePort());
    Cli.Run run = run(withS3(saveTo(etcd(), "--s3-timeout", "3s"), flags));

    assertThat(run.err()).contains("cannot reach S3").contains("--s3-endpoint");
    assertSavedLocallyOnly(run);
  }

  @Test
  void theRootDirAndSystemDirsAreRefusedAsSnapshotDirs() throws Exception {
    for (String system : List.of("/", "/etc", "/etc/k3s-snapshots", "/usr/lib", "/proc")) {
      Cli.Run run = run(Cli.args(List.of("save", "--dir", system, "--node-name", "server-1"),
          "--endpoints", etcd().endpoint()));
      assertThat(run.exitCode()).as(system).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
      assertThat(run.err()).as(system).contains("--dir ").contains("is / or a system dir")
          .contains("point --dir at a dir of their own");
    }
    assertThat(Path.of("/etc/k3s-snapshots")).doesNotExist();
  }

  @Test
  void zeroAndNegativeDurationsAreRefusedNamingTheFlag() throws Exception {
    for (String[] bad : new String[][] {{"--etcd-timeout", "0s"}, {"--etcd-timeout", "-5s"},
        {"--s3-timeout", "0m"}, {"--s3-timeout", "-1m"}}) {
      List<String> args = bad[0].equals("--s3-timeout")
          ? withS3(saveTo(etcd(), bad), s3.flags(BUCKET, null)) : saveTo(etcd(), bad);
      Cli.Run run = run(args);
      assertThat(run.exitCode()).as(String.join(" ", bad))
          .isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
      assertThat(run.err()).as(String.join(" ", bad)).contains(bad[0] + " '" + bad[1]
          + "' is not a positive duration");
    }
    assertNothingLeft();
  }

  @Test
  void tooLittleFreeSpaceIsRefusedBeforeAByteIsWritten() throws Exception {
    // a 32 MiB file system: less than any save's margin (64 MiB)
    Path small = Files.createDirectories(work.resolve("small"));
    Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", small.toString()),
        java.util.Map.of(), null).requireSuccess(List.of("mount tmpfs"));
    try {
      Cli.Run run = run(Cli.args(List.of("save", "--dir", small.resolve("snapshots").toString(),
          "--node-name", "server-1"), "--endpoints", etcd().endpoint()));
      assertThat(run.exitCode()).as(run.all()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
      assertThat(run.err()).contains("--dir " + small.resolve("snapshots") + " has ")
          .contains("MiB free, but this save needs").contains("etcd's db is")
          .contains("nothing was written");
      try (Stream<Path> files = Files.list(small.resolve("snapshots"))) {
        assertThat(files).isEmpty();
      }
    } finally {
      Processes.run(List.of("umount", small.toString()), java.util.Map.of(), null);
    }
  }

  @Test
  void namesThatCouldEscapeTheDirOrFolderAreRefused() throws Exception {
    for (String[] bad : new String[][] {
        {"--name", "../evil"}, {"--name", "a/b"}, {"--node-name", "x/../../y"},
        {"--node-name", ".."}}) {
      Cli.Run run = run(saveTo(etcd(), bad));
      assertThat(run.exitCode()).as(String.join(" ", bad)).isEqualTo(
          EtcdSnapshotCommand.EXIT_BAD_INPUT);
      assertThat(run.err()).contains(bad[0] + " '" + bad[1] + "' must be a plain file name");
    }
    for (String folder : List.of("../up", "/abs", "a/../b", "a//b")) {
      Cli.Run run = run(withS3(saveTo(etcd()), s3.flags(BUCKET, folder)));
      assertThat(run.exitCode()).as(folder).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
      assertThat(run.err()).contains("--s3-folder '" + folder + "'");
    }
    Cli.Run delete = run(List.of("delete", "--dir", dir.toString(), "../../etc/passwd"));
    assertThat(delete.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(delete.err()).contains("must be a plain file name");
    assertNothingLeft();
  }

  @Test
  void unwritableDirIsNamed() throws Exception {
    Path file = Files.writeString(work.resolve("a-file"), "x");
    dir = file.resolve("snapshots");

    Cli.Run run = run(saveTo(etcd()));

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains("--dir " + dir + " is not writable");
    assertThat(file).hasContent("x");
  }

  @Test
  void existingSnapshotOfTheSameNameIsNeverOverwritten() throws Exception {
    Files.createDirectories(dir);
    Path existing = Files.writeString(dir.resolve("on-demand-server-1-" + T.getEpochSecond()),
        "precious");

    Cli.Run run = run(saveTo(etcd()));

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains(existing + " already exists: nothing was overwritten");
    assertThat(existing).hasContent("precious");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(existing);
    }
  }

  @Test
  void theOperatorsJobsTakeTheNextFreeSecondWhenTwoSavesShareOne() throws Exception {
    // two schedules firing together on one node start their saves in the same second: the
    // Jobs' --next-free-name takes the next second's name, never the other's file or .part
    Files.createDirectories(dir);
    Path existing = Files.writeString(dir.resolve("on-demand-server-1-" + T.getEpochSecond()),
        "precious");
    Path running = Files.writeString(dir.resolve("on-demand-server-1-" + (T.getEpochSecond() + 1)
        + ".part"), "another save, still running");

    Cli.Run run = run(saveTo(etcd(), "--next-free-name", "-o", "json"));

    assertThat(run.exitCode()).as(run.all()).isZero();
    Path taken = dir.resolve("on-demand-server-1-" + (T.getEpochSecond() + 2));
    assertThat(run.out()).contains(taken.getFileName().toString());
    assertThat(taken).isRegularFile();
    assertThat(existing).hasContent("precious");
    assertThat(running).hasContent("another save, still running");
  }

  @Test
  void retentionBelowOneAndSeveralEndpointsAreRefused() throws Exception {
    Cli.Run prune = run(List.of("prune", "--dir", dir.toString(), "--snapshot-retention", "0"));
    assertThat(prune.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(prune.err()).contains("--snapshot-retention 0").contains("give 1 or more");

    Cli.Run endpoints = run(save("--endpoints", "http://127.0.0.1:1,http://127.0.0.1:2"));
    assertThat(endpoints.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(endpoints.err()).contains("--endpoints").contains("exactly one member");
    assertNothingLeft();
  }
}
