package dev.k3sbackup.base;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Checks etcd's snapshot stream as it goes by: the stream is the bbolt database followed by a
 * 32-byte sha256 of that database, so its size is 32 more than a multiple of 512. The hash of the
 * whole stream (the file's sha256) comes out of the same single pass: the body's digest is
 * cloned before the trailer is added.
 */
public final class TrailerCheck {

  public static final int TRAILER = 32;

  private final MessageDigest body = sha256();
  private final byte[] tail = new byte[TRAILER];
  private int tailLength;
  private long total;

  /** Feeds the next bytes of the stream. */
  public void update(byte[] b, int off, int len) {
    total += len;
    if (len >= TRAILER) {
      body.update(tail, 0, tailLength);
      body.update(b, off, len - TRAILER);
      System.arraycopy(b, off + len - TRAILER, tail, 0, TRAILER);
      tailLength = TRAILER;
      return;
    }
    int overflow = tailLength + len - TRAILER;
    if (overflow > 0) {
      body.update(tail, 0, overflow);
      System.arraycopy(tail, overflow, tail, 0, tailLength - overflow);
      tailLength -= overflow;
    }
    System.arraycopy(b, off, tail, tailLength, len);
    tailLength += len;
  }

  public long size() {
    return total;
  }

  /**
   * Ends the stream.
   *
   * @return the result; {@link Result#problem()} is empty when etcd's trailer matches
   */
  public Result finish() {
    MessageDigest whole = cloneOf(body);
    whole.update(tail, 0, tailLength);
    String fileSha = HexFormat.of().formatHex(whole.digest());
    if (total < 512 + TRAILER || total % 512 != TRAILER) {
      return new Result(total, fileSha, "is " + total + " bytes, which is not an etcd snapshot "
          + "(size % 512 must be 32: the stream was cut short or this is another kind of file)");
    }
    byte[] computed = body.digest();
    if (!Arrays.equals(computed, tail)) {
      return new Result(total, fileSha, "fails etcd's integrity check: the sha256 trailer "
          + HexFormat.of().formatHex(tail).substring(0, 12) + "... does not match the content "
          + HexFormat.of().formatHex(computed).substring(0, 12) + "... (the data is corrupted)");
    }
    return new Result(total, fileSha, null);
  }

  /**
   * @param size bytes seen
   * @param sha256 hex sha256 of all bytes seen
   * @param problem null when the trailer verifies, else what is wrong (a sentence fragment)
   */
  public record Result(long size, String sha256, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JRE has no SHA-256", e);
    }
  }

  private static MessageDigest cloneOf(MessageDigest d) {
    try {
      return (MessageDigest) d.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
    }
  }
}
