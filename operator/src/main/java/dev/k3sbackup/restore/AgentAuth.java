package dev.k3sbackup.restore;

import dev.k3sbackup.contract.RestoreId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.InvalidKeyException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What makes the restore agents' status port private to one restore: its id and a random token
 * that the operator made for it (kept in a Secret, handed to that restore's agents only). Every
 * request carries both ({@link #RESTORE_HEADER}, a bearer token); every answer carries the id
 * in its body and an HMAC-SHA256 of the body under the token ({@link #SIGNATURE_HEADER}), so an
 * agent believes only its own restore's peers. Compared in constant time; the JDK's HMAC, no
 * crypto of our own.
 *
 * @param restoreId the restore
 * @param token the restore's secret token
 */
public record AgentAuth(RestoreId restoreId, String token) {

  public static final String RESTORE_HEADER = "X-K3s-Etcd-Backup-Restore";
  public static final String SIGNATURE_HEADER = "X-K3s-Etcd-Backup-Signature";
  /** Where the agent finds the token (from the restore's Secret, never a flag). */
  public static final String TOKEN_ENV = "RESTORE_AGENT_TOKEN";

  public AgentAuth {
    if (token == null || token.length() < 32) {
      throw new RestoreException("the restore agents' token is missing or too short ($"
          + TOKEN_ENV + ", from the restore's Secret): an agent's status port is never open "
          + "without one");
    }
  }

  /** Whether a request's id and bearer token are this restore's. */
  public boolean admits(String restoreHeader, String authorization) {
    String expected = "Bearer " + token;
    return restoreId.toString().equals(restoreHeader) && authorization != null
        && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
            authorization.getBytes(StandardCharsets.UTF_8));
  }

  /** The signature of an answer's body. */
  public String sign(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("the JDK has no HmacSHA256", e);
    }
  }

  /** Whether an answer's body was signed with this restore's token. */
  public boolean signed(byte[] body, String signature) {
    return signature != null && MessageDigest.isEqual(sign(body).getBytes(StandardCharsets.UTF_8),
        signature.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "AgentAuth[" + restoreId + ", token=<hidden>]";
  }
}
