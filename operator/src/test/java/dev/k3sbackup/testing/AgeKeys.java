package dev.k3sbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** age key files made by Debian's age-keygen, as an admin makes them. */
public final class AgeKeys {

  private AgeKeys() {}

  /** A new X25519 identity file at {@code file} ({@code age-keygen -o}). */
  public static Path keygen(Path file) {
    Processes.run("age-keygen", "-o", file.toString()).requireSuccess(List.of("age-keygen"));
    return file;
  }

  /** The identity's recipient ({@code age-keygen -y}): an {@code age1...} public key. */
  public static String publicKey(Path identity) {
    Processes.Result r = Processes.run("age-keygen", "-y", identity.toString());
    r.requireSuccess(List.of("age-keygen -y"));
    return r.output().strip();
  }

  /** The identity's secret key line, {@code AGE-SECRET-KEY-1...}: what must never leak. */
  public static String secretKey(Path identity) {
    try {
      return Files.readString(identity).lines().filter(l -> l.startsWith("AGE-SECRET-KEY-"))
          .findFirst().orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
