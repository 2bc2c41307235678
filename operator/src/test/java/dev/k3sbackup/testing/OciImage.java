package dev.k3sbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * An OCI image tarball (what Jib's buildTar writes) read the way a container runtime reads it:
 * the index, the manifest and the config; the layers unpacked in order into one root file
 * system (whiteouts honoured); and a command run in that root with the config's user and
 * environment. The root is entered with chroot inside a private mount namespace that has
 * {@code /proc} and {@code /dev} mounted, which is all a container adds that the JVM needs;
 * this needs root.
 */
public final class OciImage {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final JsonNode index;
  private final JsonNode manifest;
  private final JsonNode config;

  /** The numeric user and group a runtime would run the image's process as. */
  public record User(int uid, int gid) {}

  /** How a run ended: exit code, stdout and stderr apart. */
  public record Run(int exitCode, String out, String err) {
    public String all() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  private OciImage(Path dir) throws IOException {
    this.dir = dir;
    this.index = JSON.readTree(dir.resolve("index.json").toFile());
    this.manifest = JSON.readTree(blob(index.get("manifests").get(0).get("digest").asText())
        .toFile());
    this.config = JSON.readTree(blob(manifest.get("config").get("digest").asText()).toFile());
  }

  /** Unpacks the archive {@code tarball} under {@code work} and reads its index. */
  public static OciImage open(Path tarball, Path work) throws IOException {
    Path dir = Files.createDirectories(work.resolve("oci"));
    Processes.run("tar", "-xf", tarball.toString(), "-C", dir.toString(),
        "--warning=no-unknown-keyword");
    return new OciImage(dir);
  }

  public JsonNode index() {
    return index;
  }

  public JsonNode manifest() {
    return manifest;
  }

  /** The image config: {@code config.Entrypoint}, {@code config.User}, {@code rootfs.diff_ids}. */
  public JsonNode config() {
    return config;
  }

  /** The file holding the blob with this digest ({@code sha256:...}). */
  public Path blob(String digest) {
    if (!digest.startsWith("sha256:")) {
      throw new IllegalArgumentException("not a sha256 digest: " + digest);
    }
    return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  /** Every blob of the archive: digest as named, and the sha256 of its bytes. */
  public Map<String, String> blobDigests() throws IOException {
    Map<String, String> digests = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(dir.resolve("blobs/sha256"))) {
      for (Path f : files.sorted().toList()) {
        try (InputStream in = Files.newInputStream(f)) {
          digests.put("sha256:" + f.getFileName(), "sha256:" + sha256(in));
        }
      }
    }
    return digests;
  }

  /** The sha256 of each layer uncompressed, in order: what {@code rootfs.diff_ids} must say. */
  public List<String> uncompressedLayerDigests() throws IOException {
    List<String> ids = new ArrayList<>();
    for (JsonNode layer : manifest.get("layers")) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(
          blob(layer.get("digest").asText())), 1 << 16)) {
        ids.add("sha256:" + sha256(in));
      }
    }
    return ids;
  }

  /** Unpacks the layers in order into {@code rootfs}, keeping owners and modes. */
  public void unpack(Path rootfs) throws IOException {
    Files.createDirectories(rootfs);
    for (JsonNode layer : manifest.get("layers")) {
      String mediaType = layer.get("mediaType").asText();
      if (!mediaType.endsWith("tar+gzip")) {
        throw new IllegalStateException("unexpected layer media type " + mediaType);
      }
      Path blob = blob(layer.get("digest").asText());
      String listing = Processes.run("tar", "-tzf", blob.toString(),
          "--warning=no-unknown-keyword").output();
      for (String entry : listing.split("\n")) {
        applyWhiteout(rootfs, entry);
      }
      Processes.run("tar", "-xzf", blob.toString(), "-C", rootfs.toString(), "--numeric-owner",
          "--same-owner", "--same-permissions", "--warning=no-unknown-keyword",
          "--exclude=.wh.*");
    }
  }

  /** A whiteout entry in a layer removes what lower layers put there. */
  private static void applyWhiteout(Path rootfs, String entry) throws IOException {
    String path = entry.startsWith("./") ? entry.substring(2) : entry;
    int slash = path.lastIndexOf('/');
    String parent = slash < 0 ? "" : path.substring(0, slash);
    String name = path.substring(slash + 1);
    if (!name.startsWith(".wh.")) {
      return;
    }
    Path dir = rootfs.resolve(parent);
    if (name.equals(".wh..wh..opq")) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> children = Files.list(dir)) {
          for (Path child : children.toList()) {
            deleteTree(child);
          }
        }
      }
    } else {
      deleteTree(dir.resolve(name.substring(".wh.".length())));
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  /** {@code config.Entrypoint} followed by {@code args} (as a Pod's args replace the Cmd). */
  public List<String> entrypointWith(String... args) {
    List<String> command = new ArrayList<>();
    config.path("config").path("Entrypoint").forEach(n -> command.add(n.asText()));
    if (command.isEmpty()) {
      throw new IllegalStateException("the image has no entrypoint: " + config);
    }
    command.addAll(List.of(args));
    return command;
  }

  /** {@code config.Env} as a map. */
  public Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode n : config.path("config").path("Env")) {
      String kv = n.asText();
      int eq = kv.indexOf('=');
      env.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return env;
  }

  /**
   * {@code config.User} resolved as runc does: {@code uid[:gid]} or names, looked up in the
   * image's own {@code /etc/passwd} and {@code /etc/group}; no user means root.
   */
  public User user(Path rootfs) throws IOException {
    String spec = config.path("config").path("User").asText("");
    if (spec.isEmpty()) {
      return new User(0, 0);
    }
    String[] parts = spec.split(":", 2);
    String[] passwd = findEntry(rootfs.resolve("etc/passwd"), parts[0]);
    int uid = parts[0].matches("\\d+") ? Integer.parseInt(parts[0])
        : Integer.parseInt(require(passwd, "user " + parts[0])[2]);
    int gid;
    if (parts.length == 2) {
      gid = parts[1].matches("\\d+") ? Integer.parseInt(parts[1])
          : Integer.parseInt(require(findEntry(rootfs.resolve("etc/group"), parts[1]),
              "group " + parts[1])[2]);
    } else {
      gid = passwd == null ? 0 : Integer.parseInt(passwd[3]);
    }
    return new User(uid, gid);
  }

  /** The image's {@code /etc/passwd} line for {@code uid}, split at colons, or null. */
  public static String[] passwdEntry(Path rootfs, int uid) throws IOException {
    return findEntry(rootfs.resolve("etc/passwd"), Integer.toString(uid));
  }

  private static String[] findEntry(Path file, String nameOrId) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split(":", -1);
      if (f.length >= 3 && (f[0].equals(nameOrId) || f[2].equals(nameOrId))) {
        return f;
      }
    }
    return null;
  }

  private static String[] require(String[] entry, String what) {
    if (entry == null) {
      throw new IllegalStateException(what + " is not in the image");
    }
    return entry;
  }

  /**
   * Runs {@code command} in {@code rootfs} as the image's user, with only the image's
   * environment (plus HOME from its passwd, as runtimes add), and the program looked up on the
   * image's PATH inside the root.
   */
  public Run run(Path rootfs, List<String> command) throws IOException, InterruptedException {
    User user = user(rootfs);
    Map<String, String> env = new LinkedHashMap<>(env());
    if (!env.containsKey("HOME")) {
      String[] entry = passwdEntry(rootfs, user.uid());
      env.put("HOME", entry != null && entry.length > 5 ? entry[5] : "/");
    }
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--fork",
        "/bin/sh", "-c", "root=$1; user=$2; shift 2; "
            + "/bin/mount -t proc proc \"$root/proc\" && /bin/mount --rbind /dev \"$root/dev\" "
            + "&& exec /usr/sbin/chroot --userspec=\"$user\" \"$root\" \"$@\"",
        "sh", rootfs.toString(), user.uid() + ":" + user.gid()));
    cmd.addAll(command);
    Path out = Files.createTempFile("image-run", ".out");
    Path err = Files.createTempFile("image-run", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
          .redirectError(err.toFile());
      pb.environment().clear();
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " in the image timed out");
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      try (DigestInputStream din = new DigestInputStream(in, d)) {
        din.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
