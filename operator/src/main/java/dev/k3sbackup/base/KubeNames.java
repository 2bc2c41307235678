package dev.k3sbackup.base;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Every name the operator derives (Jobs, Pod labels, child and adopted snapshots, per-node
 * Jobs) as Kubernetes takes it: a DNS-1123 label of at most {@value #MAX} characters
 * (lower-case letters, digits and {@code -}, starting and ending with a letter or digit), which
 * is also a valid label value. A name that fits as it is stays as it is; one that is too long,
 * or had to be changed to fit (a node name with dots or capitals), is cut and ends in
 * {@code -<hash>}: the first {@value #HASH_LENGTH} hex digits of the sha256 of the full name
 * asked for. Two different full names therefore never end as one name (short of a sha256
 * collision in 32 bits among a cluster's handful of names), and the same full name always gives
 * the same name, so a restarted operator finds what it made.
 */
public final class KubeNames {

  /** Kubernetes' limit for label values and DNS-1123 labels (Job names become Pod labels). */
  public static final int MAX = 63;
  /** Hex digits of the hash a cut name ends in. */
  public static final int HASH_LENGTH = 8;
  /** A suffix longer than this is not kept readable: the whole name is hashed instead. */
  private static final int MAX_KEPT_SUFFIX = 30;

  private KubeNames() {}

  /** {@code full} as a name of at most {@value #MAX} characters (see the class comment). */
  public static String of(String full) {
    return of(full, "");
  }

  /**
   * {@code base + suffix} as a name of at most {@value #MAX} characters, keeping the suffix
   * (e.g. {@code -save-2}) readable at the end: when the whole does not fit as it is, the base is
   * cut and {@code -<hash of base + suffix>} goes between it and the suffix.
   *
   * @param base any text (a resource or node name, or {@code namespace/name})
   * @param suffix lower-case letters, digits and {@code -}, ending in a letter or digit, and
   *     short; any other suffix becomes part of the hashed whole
   */
  public static String of(String base, String suffix) {
    if (!suffix.isEmpty() && !suffix.matches("[a-z0-9-]*[a-z0-9]")
        || suffix.length() > MAX_KEPT_SUFFIX) {
      return of(base + suffix, "");
    }
    String full = base + suffix;
    if (full.length() <= MAX && isLabel(full)) {
      return full;
    }
    String clean = base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-")
        .replaceAll("^[^a-z0-9]+", "");
    int room = MAX - suffix.length() - HASH_LENGTH - 1;
    String cut = clean.substring(0, Math.min(room, clean.length())).replaceAll("-+$", "");
    return (cut.isEmpty() ? "" : cut + "-") + hash(full) + suffix;
  }

  /** Whether {@code name} is a DNS-1123 label (and so a valid label value). */
  public static boolean isLabel(String name) {
    return name.length() <= MAX && name.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  }

  /** The first {@value #HASH_LENGTH} hex digits of the sha256 of {@code text}. */
  public static String hash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_LENGTH);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
