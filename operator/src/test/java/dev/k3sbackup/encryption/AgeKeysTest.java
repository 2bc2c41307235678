package dev.k3sbackup.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.exceptionfactory.jagged.x25519.X25519KeyPairGenerator;
import dev.k3sbackup.base.SnapshotException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;

class AgeKeysTest {

  /** An X25519 key pair as age-keygen prints it: {@code age1...}, {@code AGE-SECRET-KEY-1...}. */
  private static String[] keyPair() throws Exception {
    KeyPair pair = new X25519KeyPairGenerator().generateKeyPair();
    return new String[] {pair.getPublic().toString(), pair.getPrivate().toString()};
  }

  @Test
  void roundTripsThroughAgeAndLeavesTheStreamBelowOpen() throws Exception {
    String[] keys = keyPair();
    AgeRecipients recipients = AgeRecipients.parse("# comment\n\n" + keys[0] + "\n", "test");
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    boolean[] closed = {false};
    OutputStream below = new java.io.FilterOutputStream(stored) {
      @Override
      public void close() {
        closed[0] = true;
      }
    };
    byte[] plain = "x".repeat(200_000).getBytes(StandardCharsets.UTF_8);
    try (OutputStream out = recipients.encrypting(below)) {
      out.write(plain);
    }
    assertThat(closed[0]).isFalse();
    assertThat(new String(stored.toByteArray(), 0, 22, StandardCharsets.US_ASCII))
        .isEqualTo("age-encryption.org/v1\n");
    AgeIdentities identities = AgeIdentities.parse("# created: now\n" + keys[1] + "\n", "test");
    assertThat(identities.decrypting(new ByteArrayInputStream(stored.toByteArray()))
        .readAllBytes()).isEqualTo(plain);

    AgeIdentities other = AgeIdentities.parse(keyPair()[1], "Secret other");
    assertThatThrownBy(() -> other.decrypting(new ByteArrayInputStream(stored.toByteArray())))
        .isInstanceOf(AgeIdentities.WrongIdentityException.class)
        .hasMessageContaining("Secret other").hasMessageContaining("matches none");
  }

  @Test
  void refusesWhatIsNotAnX25519KeyWithoutQuotingASecret() throws Exception {
    String secret = keyPair()[1];
    assertThatThrownBy(() -> AgeRecipients.parse("", "Secret r key recipients"))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("holds no age recipient");
    assertThatThrownBy(() -> AgeRecipients.parse("ssh-ed25519 AAAA", "Secret r"))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("not an age X25519 recipient");
    // a secret key given where the public key belongs is refused, and not quoted in full
    assertThatThrownBy(() -> AgeRecipients.parse(secret, "Secret r"))
        .isInstanceOf(SnapshotException.class).hasMessageNotContaining(secret);
    String broken = secret.substring(0, secret.length() - 3) + "QQQ";
    assertThatThrownBy(() -> AgeIdentities.parse(broken, "Secret i"))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("key 1 is not an age X25519")
        .hasMessageNotContaining(broken.substring(20));
  }
}
