package dev.k3sbackup.encryption;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import dev.k3sbackup.base.SnapshotException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

/**
 * The age X25519 identities ({@code AGE-SECRET-KEY-1...}) that decrypt snapshots, as
 * {@code age -d -i FILE} reads them. Secret: no message ever quotes them, only {@link #source()}.
 */
public final class AgeIdentities {

  private final List<RecipientStanzaReader> readers;
  private final String source;

  private AgeIdentities(List<RecipientStanzaReader> readers, String source) {
    this.readers = readers;
    this.source = source;
  }

  /**
   * Reads an identity file.
   *
   * @param source how messages name it, e.g. {@code --decrypt-identity-file /path}
   */
  public static AgeIdentities read(Path file, String source) {
    return parse(AgeKeyFile.read(file, source), source);
  }

  /**
   * Parses age's identity file format (age-keygen's output).
   *
   * @param source where the text came from, for messages
   */
  public static AgeIdentities parse(String text, String source) {
    List<String> keys = AgeKeyFile.requireKeys(text, source, "age identity: give the X25519 "
        + "secret key (AGE-SECRET-KEY-1..., as age-keygen writes it)");
    List<RecipientStanzaReader> readers = new ArrayList<>();
    int line = 0;
    for (String key : keys) {
      line++;
      try {
        readers.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(key));
      } catch (GeneralSecurityException | RuntimeException e) {
        // the line is a secret, or a mistake close to one: it is never quoted
        throw SnapshotException.badInput(source + ": key " + line + " is not an age X25519 "
            + "identity (AGE-SECRET-KEY-1..., as age-keygen writes it; a public key age1... "
            + "only encrypts)");
      }
    }
    return new AgeIdentities(readers, source);
  }

  /** Where the identities came from (a flag and file), for messages. */
  public String source() {
    return source;
  }

  /**
   * Reads age's header from {@code in} and returns the plaintext stream.
   *
   * @throws WrongIdentityException when none of the identities opens the file
   * @throws IOException when the header cannot be read or is not age's
   */
  public InputStream decrypting(InputStream in) throws IOException {
    try {
      return Channels.newInputStream(new StandardDecryptingChannelFactory()
          .newDecryptingChannel(Channels.newChannel(in), readers));
    } catch (GeneralSecurityException e) {
      throw new WrongIdentityException("the age identity from " + source + " matches none of "
          + "the recipients it was encrypted to", e);
    }
  }

  /** None of the identities is a recipient of the file. */
  public static final class WrongIdentityException extends IOException {
    WrongIdentityException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
