package dev.k3sbackup.encryption;

import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import dev.k3sbackup.base.SnapshotException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

/**
 * The age X25519 recipients ({@code age1...} public keys) a snapshot is encrypted to, as
 * {@code age -R FILE} reads them. Public keys: they may appear in messages.
 *
 * @param recipients the public keys, each checked to be an X25519 recipient
 */
public record AgeRecipients(List<String> recipients) {

  public AgeRecipients {
    recipients = List.copyOf(recipients);
  }

  /**
   * Reads a recipients file.
   *
   * @param source how messages name it, e.g. {@code --encrypt-recipients-file /path}
   */
  public static AgeRecipients read(Path file, String source) {
    return parse(AgeKeyFile.read(file, source), source);
  }

  /**
   * Parses age's recipients file format.
   *
   * @param source where the text came from, for messages
   */
  public static AgeRecipients parse(String text, String source) {
    AgeRecipients r = new AgeRecipients(AgeKeyFile.requireKeys(text, source, "age recipient: "
        + "give one or more X25519 public keys (age1..., as age-keygen prints them), one a line"));
    r.writers(source);
    return r;
  }

  private List<RecipientStanzaWriter> writers(String source) {
    List<RecipientStanzaWriter> writers = new ArrayList<>();
    for (String key : recipients) {
      try {
        writers.add(X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(key));
      } catch (GeneralSecurityException | RuntimeException e) {
        String shown = key.length() > 12 ? key.substring(0, 12) + "..." : key;
        throw SnapshotException.badInput(source + ": '" + shown + "' is not an age X25519 "
            + "recipient (a public key age1..., as age-keygen prints it; only X25519 recipients "
            + "are supported, not ssh keys or passphrases)");
      }
    }
    return writers;
  }

  /**
   * A stream that encrypts what is written to it into {@code out} in the age format. Closing it
   * writes age's last chunk and flushes {@code out}, but leaves {@code out} open.
   */
  public OutputStream encrypting(OutputStream out) throws IOException {
    try {
      return Channels.newOutputStream(new StandardEncryptingChannelFactory()
          .newEncryptingChannel(Channels.newChannel(new Unclosed(out)), writers("recipients")));
    } catch (GeneralSecurityException e) {
      throw new IOException("age encryption could not start: " + e.getMessage(), e);
    }
  }

  /** Passes writes on; close only flushes, so the stream below stays open. */
  private static final class Unclosed extends FilterOutputStream {
    Unclosed(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
