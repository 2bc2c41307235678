package dev.k3sbackup.base;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * K3s's snapshot file name: {@code <prefix>-<node>-<unix seconds>}, plus {@code .zip} when
 * compressed, plus (ours only) {@code .age} when encrypted. Made by K3s or by us, the same name
 * means the same thing.
 */
public record SnapshotName(String prefix, String node, long unixSeconds, boolean compressed,
    boolean encrypted) {

  public static final String ZIP_SUFFIX = ".zip";
  /** An age-encrypted snapshot's suffix, after {@code .zip}: {@code age -d} gives the rest. */
  public static final String AGE_SUFFIX = ".age";
  /**
   * The plaintext a restore's preflight decrypts next to an encrypted snapshot:
   * {@code <base>.decrypted[.zip]}, a name K3s's and our listings do not take for a snapshot.
   */
  public static final String DECRYPTED_INFIX = ".decrypted";
  /**
   * K3s's prefix for its own scheduled snapshots ({@code --etcd-snapshot-name}). K3s's retention
   * deletes, beyond the newest N, every file (and object in the S3 folder) whose name merely
   * starts with it, whoever made it: no prefix of ours starts with it.
   */
  public static final String K3S_SCHEDULED_PREFIX = "etcd-snapshot";
  /** K3s's prefix for {@code k3s etcd-snapshot save}; our node CLI keeps it, as K3s's does. */
  public static final String K3S_ON_DEMAND_PREFIX = "on-demand";
  /** Our prefix for a schedule's runs (the default schedule's, and any template without one). */
  public static final String SCHEDULED_PREFIX = "k3sbackup-scheduled";
  /** Our prefix for an EtcdSnapshot that names none (and the kubectl plugin's save). */
  public static final String ON_DEMAND_PREFIX = "k3sbackup-on-demand";
  /** Our prefix for the safety snapshot taken before a restore. */
  public static final String SAFETY_PREFIX = "k3sbackup-safety";

  /**
   * Whether snapshots named {@code <ours>-...} and K3s's retention for prefix {@code k3s} touch
   * each other's files: K3s deletes every file that starts with {@code k3s} (no dash needed),
   * and a prune of ours counts the files that start with {@code ours-}.
   */
  public static boolean prefixesCollide(String ours, String k3s) {
    return ours.startsWith(k3s) || (k3s + "-").startsWith(ours + "-");
  }

  private static final Pattern FILE = Pattern.compile("(.+)-(\\d{1,12})(\\.zip)?(\\.age)?");

  public SnapshotName {
    requireSafeComponent("--name", prefix);
    requireSafeComponent("--node-name", node);
  }

  public static SnapshotName of(String prefix, String node, Instant at, boolean compressed) {
    return of(prefix, node, at, compressed, false);
  }

  public static SnapshotName of(String prefix, String node, Instant at, boolean compressed,
      boolean encrypted) {
    return new SnapshotName(prefix, node, at.getEpochSecond(), compressed, encrypted);
  }

  /** The name without {@code .zip} and {@code .age}: also the name of the entry in the zip. */
  public String baseName() {
    return prefix + "-" + node + "-" + unixSeconds;
  }

  /** The file (and S3 object) name. */
  public String fileName() {
    return baseName() + (compressed ? ZIP_SUFFIX : "") + (encrypted ? AGE_SUFFIX : "");
  }

  /**
   * Where a restore's preflight decrypts the encrypted snapshot {@code fileName}:
   * {@code <base>.decrypted} or {@code <base>.decrypted.zip}.
   */
  public static String decryptedFileName(String fileName) {
    String plain = fileName.endsWith(AGE_SUFFIX)
        ? fileName.substring(0, fileName.length() - AGE_SUFFIX.length()) : fileName;
    return plain.endsWith(ZIP_SUFFIX)
        ? plain.substring(0, plain.length() - ZIP_SUFFIX.length()) + DECRYPTED_INFIX + ZIP_SUFFIX
        : plain + DECRYPTED_INFIX;
  }

  /** Whether {@code fileName} is a decrypted copy ({@link #decryptedFileName}). */
  public static boolean isDecryptedCopy(String fileName) {
    return fileName.endsWith(DECRYPTED_INFIX) || fileName.endsWith(DECRYPTED_INFIX + ZIP_SUFFIX);
  }

  /** Whether {@code fileName} is an age-encrypted snapshot's name. */
  public static boolean isEncrypted(String fileName) {
    return fileName != null && fileName.endsWith(AGE_SUFFIX);
  }

  public Instant createdAt() {
    return Instant.ofEpochSecond(unixSeconds);
  }

  /**
   * Refuses a name part that could escape the snapshot dir or S3 folder, or could not be told
   * apart when the name is read back.
   */
  public static void requireSafeComponent(String flag, String value) {
    if (value == null || value.isBlank()) {
      throw SnapshotException.badInput(flag + " is empty: give a plain name such as "
          + K3S_ON_DEMAND_PREFIX);
    }
    if (value.contains("/") || value.contains("\\") || value.contains("..")
        || value.startsWith(".") || value.chars().anyMatch(Character::isISOControl)) {
      throw SnapshotException.badInput(flag + " '" + value + "' must be a plain file name: no '/', "
          + "'\\', '..', leading '.' or control characters");
    }
  }

  /**
   * What a file name found in a snapshot dir or S3 folder tells, when it follows K3s's naming.
   *
   * @param fileName the name as stored
   * @param baseName without {@code .zip} and {@code .age}
   * @param createdAt the time in the name
   * @param compressed whether the name ends in {@code .zip}
   */
  public record Parsed(String fileName, String baseName, Instant createdAt, boolean compressed) {

    /** True when this snapshot's name starts with {@code prefix-}, as K3s's retention counts. */
    public boolean hasPrefix(String prefix) {
      return baseName.startsWith(prefix + "-");
    }

    /** Whether the name ends in {@code .age}: the file is encrypted with age. */
    public boolean encrypted() {
      return fileName.endsWith(AGE_SUFFIX);
    }
  }

  /** Parses a K3s-style snapshot file name; empty for anything else (part files, other files). */
  public static Optional<Parsed> parse(String fileName) {
    if (fileName.startsWith(".") || fileName.endsWith(".part")) {
      return Optional.empty();
    }
    Matcher m = FILE.matcher(fileName);
    if (!m.matches()) {
      return Optional.empty();
    }
    String base = fileName.substring(0, fileName.length()
        - (m.group(3) == null ? 0 : ZIP_SUFFIX.length())
        - (m.group(4) == null ? 0 : AGE_SUFFIX.length()));
    return Optional.of(new Parsed(fileName, base, Instant.ofEpochSecond(Long.parseLong(m.group(2))),
        m.group(3) != null));
  }
}
