package dev.k3sbackup.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.S3Fixture;
import dev.k3sbackup.testing.Tamper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ls}, {@code prune}, {@code delete} and {@code verify} over snapshots we made and
 * snapshots placed with K3s's own naming, locally and in S3.
 */
class ListPruneDeleteIT {

  private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");
  private static final String BUCKET = "backups";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private S3Fixture s3;
  private Path dir;
  private Path ours;

  @BeforeEach
  void oneRealSnapshot() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket(BUCKET);
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/a", "1");
    dir = work.resolve("data/server/db/snapshots");
    Cli.Run run = new Cli().at(T).run("save", "--endpoints", etcd.endpoint(), "--dir",
        dir.toString(), "--node-name", "server-1", "--name", "etcd-snapshot");
    assertThat(run.exitCode()).as(run.all()).isZero();
    ours = dir.resolve(name("server-1", T));
  }

  @AfterEach
  void stop() {
    etcd.close();
  }

  private static String name(String node, Instant at) {
    return "etcd-snapshot-" + node + "-" + at.getEpochSecond();
  }

  /** A file as K3s itself leaves it: a copy of a real snapshot under K3s's name. */
  private Path placeK3sSnapshot(String node, Instant at) throws Exception {
    return Files.copy(ours, dir.resolve(name(node, at)));
  }

  /** K3s's compressed form, written the way K3s writes it (one Deflate entry). */
  private Path placeK3sZip(String node, Instant at) throws Exception {
    Path zip = dir.resolve(name(node, at) + ".zip");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      ZipEntry e = new ZipEntry(name(node, at));
      e.setMethod(ZipEntry.DEFLATED);
      out.putNextEntry(e);
      Files.copy(ours, out);
      out.closeEntry();
    }
    return zip;
  }

  private List<String> local(String verb, String... more) {
    return Cli.args(List.of(verb, "--dir", dir.toString()), more);
  }

  private List<String> withS3(String verb, String... more) {
    return Cli.args(local(verb, more), s3.flags(BUCKET, "k3s").toArray(String[]::new));
  }

  @Test
  void listsK3sMadeSnapshotsWithOursOldestFirst() throws Exception {
    placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(1)));
    placeK3sZip("k3s-node-a", T.minus(Duration.ofHours(2)));
    Files.writeString(dir.resolve("notes.txt"), "not a snapshot");
    Files.writeString(dir.resolve(name("x", T) + ".part"), "a save in progress");

    Cli.Run table = new Cli().run(local("ls"));
    Cli.Run json = new Cli().run(local("list", "-o", "json"));

    assertThat(table.exitCode()).as(table.all()).isZero();
    List<String> lines = table.out().lines().toList();
    assertThat(lines.get(0)).matches("Name +Location +Size +Created");
    assertThat(lines).hasSize(4);
    assertThat(lines.get(1)).startsWith(name("k3s-node-a", T.minus(Duration.ofHours(2))) + ".zip ");
    assertThat(lines.get(2)).startsWith(name("k3s-node-a", T.minus(Duration.ofHours(1))) + " ")
        .contains("file://" + dir.resolve(name("k3s-node-a", T.minus(Duration.ofHours(1)))))
        .contains(" " + Files.size(ours) + " ")
        .endsWith(T.minus(Duration.ofHours(1)).toString());
    assertThat(lines.get(3)).startsWith(name("server-1", T) + " ");
    JsonNode list = new ObjectMapper().readTree(json.out());
    assertThat(list).hasSize(3);
    assertThat(list.get(2).get("node").asText()).isEqualTo("server-1");
    assertThat(list.get(0).get("compressed").asBoolean()).isTrue();
    assertThat(new Cli().run(local("l")).out()).isEqualTo(table.out());
  }

  @Test
  void prunesK3sAndOurSnapshotsByTheTimeInTheirNames() throws Exception {
    placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(1)));
    Path oldK3s = placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(2)));
    Path oldZip = placeK3sZip("k3s-node-a", T.minus(Duration.ofHours(3)));
    Path sidecars = dir.getParent().resolve(".metadata");
    Files.writeString(sidecars.resolve(oldK3s.getFileName().toString()), "{\"k3s\":\"extra\"}");
    Path onDemand = Files.copy(ours, dir.resolve("on-demand-server-1-" + T.getEpochSecond()));

    Cli.Run run = new Cli().run(local("prune", "--name", "etcd-snapshot",
        "--snapshot-retention", "2"));

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(oldK3s).doesNotExist();
    assertThat(oldZip).doesNotExist();
    assertThat(sidecars.resolve(oldK3s.getFileName().toString())).doesNotExist();
    assertThat(ours).exists();
    assertThat(dir.resolve(name("k3s-node-a", T.minus(Duration.ofHours(1))))).exists();
    assertThat(onDemand).as("another prefix is not counted").exists();
    assertThat(run.out()).contains("Deleted file://" + oldK3s).contains("Deleted file://" + oldZip);
  }

  @Test
  void pruneNeverDeletesTheNewestSnapshotThatVerifies() throws Exception {
    Path newer = placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(1)));
    Path good = placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(2)));
    Path oldest = placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(3)));
    Tamper.flipOneByte(ours);
    Tamper.flipOneByte(newer);

    Cli.Run run = new Cli().run(local("prune", "--name", "etcd-snapshot",
        "--snapshot-retention", "1"));

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(ours).as("kept by retention").exists();
    assertThat(newer).doesNotExist();
    assertThat(good).as("the newest snapshot that verifies").exists();
    assertThat(oldest).doesNotExist();
    assertThat(run.out()).contains("Kept file://" + good);
  }

  @Test
  void verifyFindsAFlippedByte() throws Exception {
    Path copy = placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(1)));
    Path zip = placeK3sZip("k3s-node-a", T.minus(Duration.ofHours(2)));

    assertThat(new Cli().run(local("verify", copy.getFileName().toString())).out())
        .startsWith("OK " + copy.getFileName());
    assertThat(new Cli().run(local("verify", zip.getFileName().toString())).exitCode()).isZero();

    Tamper.flipOneByte(copy);
    Cli.Run run = new Cli().run(local("verify", copy.toString()));
    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_FAILED);
    assertThat(run.out()).contains("CORRUPT").contains("does not match");
  }

  @Test
  void deleteRemovesFileAndSidecarAndNamesWhatIsMissing() throws Exception {
    Path k3s = placeK3sSnapshot("k3s-node-a", T.minus(Duration.ofHours(1)));
    Path sidecar = dir.getParent().resolve(".metadata/" + name("server-1", T));
    assertThat(sidecar).exists();

    Cli.Run run = new Cli().run(local("delete", k3s.getFileName().toString(),
        ours.getFileName().toString()));

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(k3s).doesNotExist();
    assertThat(ours).doesNotExist();
    assertThat(sidecar).doesNotExist();

    Cli.Run missing = new Cli().run(local("delete", "etcd-snapshot-nope-1"));
    assertThat(missing.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(missing.err()).contains("no snapshot named etcd-snapshot-nope-1")
        .contains("'ls'");
  }

  @Test
  void s3ListingPruningAndDeletingTreatK3sObjectsLikeOurs() throws Exception {
    Path k3sFile = work.resolve("from-k3s");
    Files.copy(ours, k3sFile);
    for (int h = 1; h <= 3; h++) {
      s3.putAsK3s(BUCKET, "k3s/" + name("k3s-node-a", T.minus(Duration.ofHours(h))), k3sFile,
          "k3s-node-a");
    }
    s3.putAsK3s(BUCKET, "elsewhere/" + name("k3s-node-a", T), k3sFile, "k3s-node-a");

    Cli.Run ls = new Cli().run(withS3("ls", "-o", "json"));
    assertThat(ls.exitCode()).as(ls.all()).isZero();
    JsonNode list = new ObjectMapper().readTree(ls.out());
    assertThat(list).hasSize(4); // 3 in the folder + our local one, not the other folder's
    assertThat(list.get(0).get("location").asText())
        .isEqualTo("s3://backups/k3s/" + name("k3s-node-a", T.minus(Duration.ofHours(3))));
    assertThat(list.get(0).get("node").asText()).isEqualTo("k3s-node-a");
    assertThat(list.get(3).get("storage").asText()).isEqualTo("LOCAL");

    Cli.Run prune = new Cli().run(withS3("prune", "--name", "etcd-snapshot",
        "--snapshot-retention", "2"));
    assertThat(prune.exitCode()).as(prune.all()).isZero();
    assertThat(s3.keys(BUCKET)).containsExactlyInAnyOrder(
        "k3s/" + name("k3s-node-a", T.minus(Duration.ofHours(1))),
        "k3s/" + name("k3s-node-a", T.minus(Duration.ofHours(2))),
        "elsewhere/" + name("k3s-node-a", T));
    assertThat(ours).as("local counted separately: 1 of 2").exists();

    String gone = name("k3s-node-a", T.minus(Duration.ofHours(1)));
    Cli.Run delete = new Cli().run(withS3("delete", gone));
    assertThat(delete.exitCode()).as(delete.all()).isZero();
    assertThat(delete.out()).contains("Deleted " + gone + " (s3)");
    assertThat(s3.keys(BUCKET)).doesNotContain("k3s/" + gone);
    assertThat(ls.all() + prune.all() + delete.all()).doesNotContain(S3Fixture.SECRET_KEY);
  }
}
