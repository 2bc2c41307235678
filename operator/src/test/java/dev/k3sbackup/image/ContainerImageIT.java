package dev.k3sbackup.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.restore.RevisionBump;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Etcdctl;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.OciImage;
import dev.k3sbackup.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built container image (the OCI tarball of scripts/build-image.sh, given as
 * {@code -Dimage.tarball=PATH}) unpacked layer by layer and run as a container runtime would:
 * its own entrypoint, user and environment from its config, in a chroot of its root file
 * system. Needs root (chroot, mounts); skipped with one line otherwise.
 */
class ContainerImageIT {

  /** Not a JUnit TempDir: the image's absolute symlinks would each get a warning there. */
  private static Path work;
  private static OciImage image;
  private static Path rootfs;

  @BeforeAll
  static void unpack() throws Exception {
    String tarball = System.getProperty("image.tarball", "");
    skipUnless(!tarball.isBlank(), "no image given: scripts/test.sh builds one with "
        + "scripts/build-image.sh and passes -Dimage.tarball=operator/target/"
        + "k3s-etcd-backup-image.tar");
    skipUnless(Processes.run("id", "-u").output().trim().equals("0"),
        "not root, so the image cannot be run in a chroot (run scripts/test.sh as root)");
    assertThat(Path.of(tarball)).as("-Dimage.tarball").isRegularFile();
    work = Files.createTempDirectory("container-image-it");
    image = OciImage.open(Path.of(tarball), work);
    rootfs = work.resolve("rootfs");
    image.unpack(rootfs);
  }

  @AfterAll
  static void removeRootfs() {
    if (work != null) {
      Processes.run("rm", "-rf", "--one-file-system", work.toString());
    }
  }

  private static void skipUnless(boolean condition, String why) {
    if (!condition) {
      System.err.println("ContainerImageIT skipped: " + why);
    }
    assumeTrue(condition, why);
  }

  @Test
  void runsAsANonRootUserThatTheImageKnows() throws Exception {
    OciImage.User user = image.user(rootfs);

    assertThat(user.uid()).as("config.User " + image.config().path("config").path("User"))
        .isNotZero();
    assertThat(user.gid()).isNotZero();
    String[] entry = OciImage.passwdEntry(rootfs, user.uid());
    assertThat(entry).as("the image's /etc/passwd names uid " + user.uid()).isNotNull();
    Path home = rootfs.resolve(entry[5].substring(1));
    assertThat(home).isDirectory();
    assertThat(Files.getAttribute(home, "unix:uid")).isEqualTo(user.uid());
  }

  @Test
  void everyBlobMatchesItsDigestAndEveryLayerItsDiffId() throws Exception {
    for (Map.Entry<String, String> blob : image.blobDigests().entrySet()) {
      assertThat(blob.getValue()).as("blob " + blob.getKey()).isEqualTo(blob.getKey());
    }
    List<String> diffIds = new ArrayList<>();
    image.config().path("rootfs").path("diff_ids").forEach(n -> diffIds.add(n.asText()));
    // what containerd checks when it unpacks the image
    assertThat(image.uncompressedLayerDigests()).isEqualTo(diffIds);
  }

  @Test
  void isNamedAsTheKubeletLooksItUpAfterAnImportIntoContainerd() {
    JsonNode annotations = image.index().get("manifests").get(0).get("annotations");
    String ref = annotations.get("org.opencontainers.image.ref.name").asText();

    // containerd stores an imported OCI image under io.containerd.image.name; the kubelet asks
    // for the normalized name of the Pod's image (no registry: Docker Hub's library)
    String first = ref.contains("/") ? ref.substring(0, ref.indexOf('/')) : "";
    String normalized = first.isEmpty() ? "docker.io/library/" + ref
        : first.contains(".") || first.contains(":") || first.equals("localhost") ? ref
        : "docker.io/" + ref;
    assertThat(annotations.path("io.containerd.image.name").asText()).isEqualTo(normalized);
  }

  @Test
  void entrypointPrintsTheCliHelp() throws Exception {
    OciImage.Run run = image.run(rootfs, image.entrypointWith("etcd-snapshot", "--help"));

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).as(run.all()).startsWith("Usage: etcd-snapshot")
        .contains("save", "prune", "verify");
  }

  @Test
  void entrypointSavesAVerifiedSnapshotOfARealEtcdAsTheImageUser() throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start(work.resolve("etcd"))) {
      for (int i = 0; i < 20; i++) {
        etcd.put("/registry/configmaps/default/cm-" + i, "value-" + i);
      }
      long revision = etcd.revision();

      OciImage.Run run = image.run(rootfs, image.entrypointWith("etcd-snapshot", "save",
          "--endpoints", etcd.endpoint(), "--dir", "/tmp/snapshots", "--node-name", "image",
          "-o", "json"));

      assertThat(run.exitCode()).as(run.all()).isZero();
      JsonNode record = new ObjectMapper().readTree(run.out());
      Path file = rootfs.resolve("tmp/snapshots").resolve(record.get("name").asText());
      assertThat(file).isRegularFile();
      assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(image.user(rootfs).uid());
      assertThat(record.get("sha256").asText()).isEqualTo(Hashes.sha256(file));
      assertThat(Etcdctl.snapshotStatus(file).revision()).isEqualTo(revision);
    }
  }

  @Test
  void holdsEtcdV36sEtcdutlAndEtcdForTheRestoresRevisionBumpAndTheDrills() throws Exception {
    // RevisionBump runs etcdutl from where the image puts it; etcd serves the restore drills
    Path etcdutl = rootfs.resolve(RevisionBump.IMAGE_ETCDUTL.toString().substring(1));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(etcdutl)))
        .isEqualTo("rwxr-xr-x");

    OciImage.Run version = image.run(rootfs, List.of(RevisionBump.IMAGE_ETCDUTL.toString(),
        "version"));
    OciImage.Run etcd = image.run(rootfs, List.of("etcd", "--version"));

    assertThat(version.exitCode()).as(version.all()).isZero();
    assertThat(version.out()).as(version.all()).startsWith("etcdutl version: 3.6.");
    assertThat(etcd.exitCode()).as(etcd.all()).isZero();
    assertThat(etcd.out()).as(etcd.all()).startsWith("etcd Version: 3.6.");
  }

  @Test
  void holdsNsenterForTheRestoreAgentOnItsPath() throws Exception {
    // the restore agent runs K3s's commands on the node through nsenter (K3sHost)
    OciImage.Run run = image.run(rootfs, List.of("nsenter", "--version"));

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).contains("nsenter from util-linux");
  }
}
