package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.TrailerCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;

/**
 * K3s's token hash: the first 12 hex digits of the sha256 of the token's password part. K3s
 * records it with every snapshot, because a restore needs the same server token.
 */
public final class ServerTokenHash {

  private ServerTokenHash() {}

  /** Hashes the token in {@code file} (K3s's {@code <data-dir>/server/token}); empty when unreadable. */
  public static Optional<String> fromFile(Path file) {
    try {
      return Optional.of(of(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Hashes a token as K3s does: a full token {@code K10<ca-hash>::<user>:<password>} and a bare
   * {@code <password>} hash the same.
   */
  public static String of(String token) {
    String t = token.strip();
    if (t.startsWith("K10") && t.contains("::")) {
      t = t.substring(t.indexOf("::") + 2);
    }
    int colon = t.indexOf(':');
    if (colon >= 0) {
      t = t.substring(colon + 1);
    }
    byte[] digest = TrailerCheck.sha256().digest(t.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest).substring(0, 12);
  }
}
