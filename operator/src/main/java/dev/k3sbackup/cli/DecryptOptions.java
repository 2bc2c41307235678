package dev.k3sbackup.cli;

import dev.k3sbackup.encryption.AgeIdentities;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The age identity that decrypts encrypted ({@code .age}) snapshots. Not a K3s flag. */
final class DecryptOptions {

  @Option(names = "--decrypt-identity-file", paramLabel = "FILE",
      description = "Decrypt age-encrypted (.age) snapshots with the X25519 identity in FILE "
          + "(AGE-SECRET-KEY-1..., as age-keygen writes it; age -i reads the same file). "
          + "Not a K3s flag.")
  Path identityFile;

  @Option(names = "--decrypt-identity-name", hidden = true, paramLabel = "TEXT",
      description = "How messages name where the identity came from (the operator names its "
          + "Secret and field); default: the flag and the file")
  String identityName;

  /** The identities, or null when no file was given. */
  AgeIdentities identities() {
    if (identityFile == null) {
      return null;
    }
    return AgeIdentities.read(identityFile, identityName != null ? identityName
        : "--decrypt-identity-file " + identityFile);
  }
}
